// The app inside a cross-site iframe, as Canvas shows an LTI tool: a "Canvas course page" on
// https://canvas.test iframes the demo on https://app.test (another site; Chromium maps both names
// to 127.0.0.1 and trusts only this run's certificate). The relay behind nginx runs with
// RELAY_COOKIE_MODE=embedded. scripts/e2e.sh sets E2E_APP, E2E_COURSE, E2E_EMBEDDED_RELAY, E2E_SPKI.
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "./browser.mjs";
import { STANDIN, USER, logIn, onConsentPage, sleep } from "./helpers.mjs";

const { E2E_APP: APP, E2E_COURSE: COURSE, E2E_EMBEDDED_RELAY: RELAY, E2E_SPKI: SPKI } = process.env;
if (!APP || !COURSE || !RELAY || !SPKI) throw new Error("run the end-to-end tests with scripts/e2e.sh");
const COOKIE = "__Host-canvas_relay_rt";

// Without Playwright's --disable-popup-blocking: the popup blocker is the browser's own.
const options = {
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  timeout: 30_000,
  ignoreDefaultArgs: ["--disable-popup-blocking"],
  args: [
    ...CHROMIUM_ARGS,
    "--host-resolver-rules=MAP app.test 127.0.0.1, MAP canvas.test 127.0.0.1",
    `--ignore-certificate-errors-spki-list=${SPKI}`,
  ],
};

async function stats() {
  const response = await fetch(`${RELAY}/__test/stats`);
  assert.equal(response.status, 200);
  return response.json();
}
async function resetStats() {
  assert.ok((await fetch(`${RELAY}/__test/reset`, { method: "POST" })).ok);
}

async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  return page;
}

/** The course page with the app in its iframe, started: returns the iframe's locator. */
async function openCourse(page) {
  await page.goto(`${COURSE}/course.html?app=${encodeURIComponent(`${APP}/`)}`);
  const app = page.frameLocator("#tool");
  await app.locator("html[data-ready]").waitFor({ state: "attached" });
  return app;
}

/** Clicks "Sign in in a popup" in the iframe; resolves to the popup once it shows Canvas's login. */
async function openPopup(context, app) {
  const popup = context.waitForEvent("page");
  await app.locator("#sign-in-popup").click();
  const page = await popup;
  await page.waitForURL((url) => url.href.startsWith(`${STANDIN}/login`));
  return page;
}

/** Logs in and consents in the popup; it closes itself and the iframe shows the session. */
async function finishInPopup(popup, app) {
  const closed = popup.waitForEvent("close");
  await logIn(popup);
  await onConsentPage(popup);
  await popup.click("#oauth2_accept_form button.primary");
  await closed;
  await app.locator("#signed-in:not([hidden])").waitFor();
}

async function shownError(app) {
  await app.locator("#error:not([hidden])").waitFor();
  return app.locator("#error-code").textContent();
}

async function callSelf(app) {
  await app.locator("#btn-self").click();
  await app.locator("#result:not([hidden])").waitFor();
  return app.locator("#result-title").textContent();
}

/** The state of the popup sign-in pending in the iframe's sessionStorage. */
async function pendingPopupState(page) {
  const frame = page.frame({ url: (url) => url.href.startsWith(APP) });
  return frame.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith("canvas-oauth:flow:p."));
    return key && key.slice("canvas-oauth:flow:".length);
  });
}

describe("inside a cross-site iframe (Chromium, third-party cookies allowed)", () => {
  let browser;
  let context;
  before(async () => { browser = await chromium.launch(options); });
  after(async () => { await context?.close(); await browser?.close(); });
  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext();
    await resetStats();
  });

  test("popup sign-in from the iframe, an API call, a partitioned cookie; a reload restores with one refresh", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    await finishInPopup(await openPopup(context, app), app);
    assert.equal(await app.locator("#user-name").textContent(), USER.name);
    assert.equal(await app.locator("#persistent").getAttribute("data-persistent"), "true");
    assert.match(await callSelf(app), /→ 200$/);
    let counts = await stats();
    assert.deepEqual([counts.token, counts.cookie_check, counts.refresh, counts.api], [1, 1, 0, 1]);
    // The cookie is in the iframe's partition: keyed by the course page's site.
    const cdp = await context.newCDPSession(page);
    const { cookies } = await cdp.send("Storage.getCookies");
    const cookie = cookies.find((c) => c.name === COOKIE);
    assert.ok(cookie, "the relay cookie was stored");
    assert.equal(cookie.sameSite, "None");
    assert.ok(cookie.secure && cookie.httpOnly);
    assert.match(JSON.stringify(cookie.partitionKey ?? null), /canvas\.test/, "partitioned under the course page's site");

    await page.reload();
    const reloaded = page.frameLocator("#tool");
    await reloaded.locator("html[data-ready]").waitFor({ state: "attached" });
    await reloaded.locator("#signed-in:not([hidden])").waitFor();
    counts = await stats();
    assert.equal(counts.refresh, 1, "restored from the partitioned cookie with one refresh");
    assert.equal(counts.token, 1);

    // The same app in its own tab is another partition: no session there (README, "Inside Canvas").
    const own = await newPage(context);
    await own.goto(`${APP}/`);
    await own.waitForSelector("html[data-ready]");
    assert.equal(await own.locator("#signed-out").isVisible(), true);
    assert.deepEqual([...page.errors, ...own.errors], []);
  });

  test("the user closes the popup: popup_closed, and no relay call", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    const popup = await openPopup(context, app);
    await popup.close();
    assert.equal(await shownError(app), "popup_closed");
    const counts = await stats();
    assert.deepEqual([counts.token, counts.cookie_check, counts.refresh], [0, 0, 1], "only restore()'s refresh on load");
  });

  test("forged messages (another origin, the right window on another origin, another window) are ignored", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    const popup = await openPopup(context, app);
    const state = await pendingPopupState(page);
    assert.match(state, /^p\./);
    const forged = { type: "canvas-oauth:callback", url: `${APP}/?code=forged&state=${state}` };
    // The course page (canvas.test) posts to the iframe.
    await page.evaluate((m) => document.getElementById("tool").contentWindow.postMessage(m, "*"), forged);
    // The popup itself, while it is on Canvas's origin.
    await popup.evaluate((m) => window.opener.postMessage(m, "*"), forged);
    // The app's own origin, but not the popup's window.
    await page.frame({ url: (u) => u.href.startsWith(APP) }).evaluate((m) => window.postMessage(m, location.origin), forged);
    await sleep(1000);
    assert.equal(await app.locator("#error").isHidden(), true, "no error either: ignored");
    assert.equal(await pendingPopupState(page), state, "the pending sign-in is untouched");
    assert.equal((await stats()).token, 0, "no code exchange");
    // The real callback still gets through.
    await finishInPopup(popup, app);
    assert.equal((await stats()).token, 1);
  });

  test("signInPopup outside a user gesture: popup_blocked", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    const pages = context.pages().length;
    // A script's click() carries no user activation, so the popup blocker refuses window.open.
    await app.locator("#sign-in-popup").evaluate((button) => button.click());
    assert.equal(await shownError(app), "popup_blocked");
    assert.equal(context.pages().length, pages, "no window opened");
    assert.equal((await stats()).token, 0);
  });

  test("the top-level redirect sign-in still works in the embedded deployment", async () => {
    const page = await newPage(context);
    await page.goto(`${APP}/`);
    await page.waitForSelector("html[data-ready]");
    await page.click("#sign-in");
    await logIn(page);
    await onConsentPage(page);
    await page.click("#oauth2_accept_form button.primary");
    await page.waitForURL((url) => url.href.startsWith(`${APP}/`));
    await page.waitForSelector("#signed-in:not([hidden])");
    assert.equal(await page.locator("#persistent").getAttribute("data-persistent"), "true");
    assert.equal(new URL(page.url()).search, "", "no code left in the address bar");
    const counts = await stats();
    assert.deepEqual([counts.token, counts.cookie_check], [1, 1]);
  });
});

describe("inside a cross-site iframe (Chromium, third-party cookies blocked)", () => {
  let context;
  let profile;
  before(async () => {
    // A profile whose settings block third-party cookies, as chrome://settings/cookies does.
    profile = mkdtempSync(join(tmpdir(), "canvas-oauth-3pc-"));
    mkdirSync(join(profile, "Default"));
    writeFileSync(join(profile, "Default", "Preferences"), JSON.stringify({
      profile: { cookie_controls_mode: 1, block_third_party_cookies: true },
    }));
    context = await chromium.launchPersistentContext(profile, options);
  });
  after(async () => { await context?.close(); rmSync(profile, { recursive: true, force: true }); });
  beforeEach(resetStats);

  test("sign-in still works, the session says it is not persistent, API calls work; a reload signs out", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    const events = page.frame({ url: (u) => u.href.startsWith(APP) });
    await finishInPopup(await openPopup(context, app), app);
    assert.equal(await app.locator("#persistent").getAttribute("data-persistent"), "false");
    await app.locator("#open-window:not([hidden])").waitFor();
    const log = await events.evaluate(() => [...document.querySelectorAll("#log li span")].map((s) => s.textContent));
    assert.ok(log.some((l) => l.includes("did not keep the relay cookie")), "the not-persistent event reached the app");
    assert.match(await callSelf(app), /→ 200$/, "the access token in memory works");
    let counts = await stats();
    assert.deepEqual([counts.token, counts.cookie_check, counts.api], [1, 1, 1]);
    await page.reload();
    const reloaded = page.frameLocator("#tool");
    await reloaded.locator("html[data-ready]").waitFor({ state: "attached" });
    await reloaded.locator("#signed-out:not([hidden])").waitFor();
  });
});
