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

/** The course page with the app in its iframe, the app at `appUrl`. */
async function openCourseWith(page, appUrl) {
  await page.goto(`${COURSE}/course.html?app=${encodeURIComponent(appUrl)}`);
  const app = page.frameLocator("#tool");
  await app.locator("html[data-ready]").waitFor({ state: "attached" });
  return app;
}

/** Clicks "Sign in in a popup" in the iframe; resolves to the popup once it shows Canvas's login. */
async function openPopup(context, app) {
  const popup = context.waitForEvent("page");
  context.authorizeUrls = [];
  context.on("request", (r) => { if (r.url().includes("/login/oauth2/auth?")) context.authorizeUrls.push(r.url()); });
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

/** The state of the popup sign-in, read from the authorization request the popup made. */
function popupState(context) {
  return new URL(context.authorizeUrls.at(-1)).searchParams.get("state");
}

const profiles = [];
after(() => { for (const dir of profiles) rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); });

/**
 * A fresh Chromium profile. Not Playwright's newContext(): that is an incognito profile, where
 * Chromium blocks third-party cookies by default. `blockAll`: third-party cookies blocked
 * (`cookie_controls_mode` 1, as chrome://settings/cookies does; Chromium still keeps partitioned
 * ones) and every cookie of the app under the course page blocked too (a site exception), as a
 * browser without partitioned cookies would: then nothing of the relay cookie is kept.
 */
async function launchProfile(blockAll) {
  const dir = mkdtempSync(join(tmpdir(), "canvas-oauth-profile-"));
  profiles.push(dir);
  mkdirSync(join(dir, "Default"));
  const profile = { cookie_controls_mode: blockAll ? 1 : 0, block_third_party_cookies: blockAll };
  if (blockAll) profile.content_settings = { exceptions: { cookies: { [`${APP},${COURSE}`]: { setting: 2 } } } };
  writeFileSync(join(dir, "Default", "Preferences"), JSON.stringify({ profile }));
  return chromium.launchPersistentContext(dir, options);
}

describe("inside a cross-site iframe (Chromium, third-party cookies allowed)", () => {
  let context;
  after(async () => { await context?.close(); });
  beforeEach(async () => {
    await context?.close();
    context = await launchProfile(false);
    await resetStats();
  });

  test("popup sign-in from the iframe, an API call, a partitioned cookie; a reload restores with one refresh", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    await resetStats();
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

    // The same app in its own tab is another cookie partition: once no iframe of it is open to
    // hand over its token, there is no session there (README, "Inside Canvas (LTI)").
    const errors = [...page.errors];
    await page.close();
    const own = await newPage(context);
    await own.goto(`${APP}/`);
    await own.waitForSelector("html[data-ready]");
    const log = (await own.locator("#log li span").allTextContents()).join(" | ");
    assert.equal(await own.locator("#signed-out").isVisible(), true, `${await own.locator("#status").textContent()}: ${log}`);
    assert.equal((await stats()).refresh, 2, "the tab's restore found no cookie to refresh with");
    assert.deepEqual([...errors, ...own.errors], []);
  });

  test("the user closes the popup: popup_closed, and no relay call", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    await resetStats();
    const popup = await openPopup(context, app);
    await popup.close();
    assert.equal(await shownError(app), "popup_closed");
    assert.deepEqual(await stats(), { token: 0, refresh: 0, revoke: 0, session_url: 0, cookie_check: 0, lti: 0, api: 0, graphql: 0 });
  });

  test("a popup that never comes back: popup_timeout, the popup is closed, no relay call", async () => {
    const page = await newPage(context);
    const app = await openCourseWith(page, `${APP}/?popupTimeoutMs=2000`);
    await resetStats();
    const popup = await openPopup(context, app);
    // The user wanders off on Canvas's login page; the library gives up and closes the window.
    const closed = popup.waitForEvent("close");
    assert.equal(await shownError(app), "popup_timeout");
    await closed;
    assert.equal((await stats()).token, 0);
  });

  test("forged messages (another origin, the right window on another origin, another window) are ignored", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    const popup = await openPopup(context, app);
    const state = popupState(context);
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
    assert.equal((await stats()).token, 0, "no code exchange");
    // The real callback still gets through.
    await finishInPopup(popup, app);
    assert.equal((await stats()).token, 1);
  });

  test("signInPopup outside a user gesture: popup_blocked", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    const pages = context.pages().length;
    // A click by script, without user activation (Playwright's own evaluate would carry one): the
    // popup blocker refuses window.open.
    const frame = page.frame({ url: (u) => u.href.startsWith(APP) });
    const cdp = await context.newCDPSession(frame);
    // Playwright's own calls into the frame carry a user gesture: wait until its activation lapses
    // (Chromium keeps it 5 s).
    const active = async () => (await cdp.send("Runtime.evaluate", { expression: "navigator.userActivation.isActive" })).result.value;
    for (let i = 0; i < 100 && (await active()); i++) await sleep(100);
    assert.equal(await active(), false, "no user activation left in the frame");
    await cdp.send("Runtime.evaluate", { expression: 'document.getElementById("sign-in-popup").click()', userGesture: false });
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
  before(async () => { context = await launchProfile(true); });
  after(async () => { await context?.close(); });
  beforeEach(resetStats);

  test("sign-in still works, the session says it is not persistent, API calls work; a reload signs out", async () => {
    const page = await newPage(context);
    const app = await openCourse(page);
    const events = page.frame({ url: (u) => u.href.startsWith(APP) });
    // Storage is blocked in this iframe too (Web Locks throw SecurityError): restore() still works.
    assert.equal(await app.locator("#error").isHidden(), true, "no error on load");
    assert.equal(await events.evaluate(() => { try { return !!sessionStorage; } catch { return "blocked"; } }), "blocked");
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
