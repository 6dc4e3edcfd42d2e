// Shared by the end-to-end tests. scripts/e2e.sh starts the servers and sets E2E_BASE (the relay,
// serving the demo page and pkg/), E2E_STANDIN (the stand-in Canvas) and E2E_REACT (a second relay,
// serving examples/react).
import assert from "node:assert/strict";
import { after, before, beforeEach } from "node:test";
import { launch } from "./browser.mjs";

export const BASE = process.env.E2E_BASE;
export const STANDIN = process.env.E2E_STANDIN;
export const REACT = process.env.E2E_REACT;
export const TTL_MS = Number(process.env.E2E_TTL || 5) * 1000;
if (!BASE || !STANDIN) throw new Error("run the end-to-end tests with scripts/e2e.sh (E2E_BASE, E2E_STANDIN unset)");

export const USER = { login: "student@example.edu", password: "password", name: "Sam Student", id: "1" };

/** The relay's request counters ({token, refresh, revoke, session_url, cookie_check, lti, api, graphql}); `relay` defaults to the demo's. */
export async function stats(relay) {
  const response = await fetch(`${relayOrDemo(relay)}/__test/stats`);
  assert.equal(response.status, 200, "the relay must be built with --features test-hooks");
  return response.json();
}
export async function resetStats(relay) {
  const response = await fetch(`${relayOrDemo(relay)}/__test/reset`, { method: "POST" });
  assert.equal(response.status < 300, true);
}

// A hook such as `beforeEach(resetStats)` passes node:test's context: anything but a URL means the demo's relay.
function relayOrDemo(relay) {
  return typeof relay === "string" ? relay : BASE;
}

/** The stand-in's counters of requests that reached Canvas ({token_requests, refresh_requests, …}), never reset. */
export async function standinStats() {
  const response = await fetch(`${STANDIN}/__test/stats`);
  assert.equal(response.status, 200, "the stand-in must run with --test-hooks");
  return response.json();
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One browser per test file; a fresh context (cookies, storage) per test. */
export async function browser() {
  return launch();
}

/** One browser per test file and a fresh context (cookies, storage) per test: returns `() => context`. */
export function contextPerTest() {
  let chromium;
  let context;
  before(async () => { chromium = await browser(); });
  after(async () => { await context?.close(); await chromium?.close(); });
  beforeEach(async () => {
    await context?.close();
    context = await chromium.newContext();
  });
  return () => context;
}

export async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.setDefaultNavigationTimeout(15_000);
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  return page;
}

/** Waits for the demo page to finish starting (callback handled or session restored). */
export async function ready(page) {
  await page.waitForSelector("html[data-ready]");
}

export async function openDemo(page) {
  await page.goto(`${BASE}/`);
  await ready(page);
}

export const text = (page, selector) => page.locator(selector).textContent();

/** The log lines, oldest first. */
export async function logLines(page) {
  return (await page.locator("#log li span").allTextContents()).reverse();
}

/** Waits until the log has a line containing `fragment` (`count` of them). */
export async function waitForLog(page, fragment, count = 1) {
  await page.waitForFunction(
    ([f, n]) => [...document.querySelectorAll("#log li span")].filter((s) => s.textContent.includes(f)).length >= n,
    [fragment, count],
  );
}

/** Fills the stand-in's login page and submits it. */
export async function logIn(page, user = USER) {
  await page.waitForURL((url) => url.href.startsWith(`${STANDIN}/login`) && !url.pathname.startsWith("/login/oauth2"));
  await page.fill('input[name="pseudonym_session[unique_id]"]', user.login);
  await page.fill('input[name="pseudonym_session[password]"]', user.password);
  await page.click('#login_form button[type="submit"]');
}

export async function onConsentPage(page) {
  await page.waitForURL((url) => url.href.startsWith(`${STANDIN}/login/oauth2/confirm`));
}

/** Full sign-in from the demo page through the stand-in's login and consent pages. */
export async function signIn(page, { user = USER } = {}) {
  if (!page.url().startsWith(BASE)) await openDemo(page);
  await page.click("#sign-in");
  await logIn(page, user);
  await onConsentPage(page);
  await page.click('#oauth2_accept_form button.primary');
  await page.waitForURL((url) => url.href.startsWith(`${BASE}/`));
  await ready(page);
  await page.waitForSelector("#signed-in:not([hidden])");
}

export async function shownError(page) {
  await page.waitForSelector("#error:not([hidden])");
  return { code: await text(page, "#error-code"), description: await text(page, "#error-description") };
}

/** Clicks "GET /api/v1/users/self" and returns the result title ("… → 200"). */
export async function callSelf(page) {
  await page.evaluate(() => { document.getElementById("result").hidden = true; });
  await page.click("#btn-self");
  await page.waitForSelector("#result:not([hidden])");
  return text(page, "#result-title");
}

/** Waits until the access token the page holds has expired at Canvas too. */
export async function waitForExpiry(page) {
  const expiresAt = await page.evaluate(() => {
    const left = Number(document.getElementById("expires").dataset.left);
    return Date.now() + left * 1000;
  });
  const wait = expiresAt - Date.now() + 1200;
  if (wait > 0) await sleep(wait);
}
