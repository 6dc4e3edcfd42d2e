// examples/react: the useCanvasAuth() hook under <React.StrictMode>, in a development build (scripts/e2e.sh),
// where StrictMode runs every effect twice. Served by a relay of its own (E2E_REACT), whose counters are
// this app's alone; the stand-in's count what reached Canvas.
import { beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import {
  REACT, STANDIN, USER, contextPerTest, newPage, logIn, onConsentPage, stats, resetStats, standinStats, text,
} from "./helpers.mjs";

const context = contextPerTest();
beforeEach(() => resetStats(REACT));

const relayStats = () => stats(REACT);
/** Code exchanges that reached Canvas: token requests that were not refreshes. */
async function canvasExchanges() {
  const s = await standinStats();
  return s.token_requests - s.refresh_requests;
}

async function waitForStatus(page, status) {
  await page.waitForSelector(`#status[data-status="${status}"]`);
}
const startEffects = (page) => page.evaluate(() => document.documentElement.dataset.startEffects);
const errorCode = (page) => page.locator("#error").getAttribute("data-code", { timeout: 15_000 });

async function openApp(page) {
  await page.goto(`${REACT}/`);
  await page.waitForSelector('#status:not([data-status="loading"])');
}

/** From the app's sign-in button through the stand-in's login and consent pages, back to the app. */
async function signInThroughCanvas(page, { accept = true } = {}) {
  await openApp(page);
  await waitForStatus(page, "signed-out");
  await page.click("#sign-in");
  await logIn(page);
  await onConsentPage(page);
  await page.click(accept ? "#oauth2_accept_form button.primary" : "text=Cancel");
  await page.waitForURL((url) => url.href.startsWith(`${REACT}/`));
}

/** Clicks "GET /api/v1/users/self" and waits for the profile. */
async function loadProfile(page) {
  await page.click("#load-profile");
  await page.waitForSelector("#profile");
  return { name: await text(page, "#profile-name"), id: await text(page, "#profile-id") };
}

test("React: sign-in under StrictMode exchanges the code once although the effect ran twice", { timeout: 60_000 }, async () => {
  const page = await newPage(context());
  const navigations = [];
  page.on("framenavigated", (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
  const exchangesBefore = await canvasExchanges();
  await signInThroughCanvas(page);
  await waitForStatus(page, "signed-in");
  assert.equal(await text(page, "#user-name"), USER.name);
  assert.equal(await text(page, "#user-id"), USER.id);

  // The API call completes after any second handling of the callback would have failed: an error by then
  // would be on the page.
  assert.deepEqual(await loadProfile(page), { name: USER.name, id: USER.id });
  assert.equal(await page.locator("#error").count(), 0, "no error (a second handleCallback() shows state_unknown)");
  assert.equal(await startEffects(page), "2", "StrictMode ran the start effect twice (a development build)");
  const counts = await relayStats();
  assert.equal(counts.token, 1, "exactly one code exchange through the relay");
  assert.equal(counts.api, 1);
  assert.equal(await canvasExchanges() - exchangesBefore, 1, "exactly one code exchange at Canvas");
  assert.ok(navigations.some((u) => u.startsWith(`${REACT}/?code=`)), `navigations: ${navigations}`);
  assert.equal(page.url(), `${REACT}/`, "the code left the address bar");
  assert.deepEqual(page.errors, []);
});

test("React: a reload restores the session from the relay's cookie, without a new sign-in", { timeout: 60_000 }, async () => {
  const page = await newPage(context());
  await signInThroughCanvas(page);
  await waitForStatus(page, "signed-in");
  await resetStats(REACT);
  const exchangesBefore = await canvasExchanges();
  const canvasPages = [];
  page.on("framenavigated", (frame) => { if (frame.url().startsWith(STANDIN)) canvasPages.push(frame.url()); });

  await page.reload();
  await waitForStatus(page, "signed-in");
  assert.equal(await text(page, "#user-name"), USER.name);
  assert.deepEqual(await loadProfile(page), { name: USER.name, id: USER.id });
  assert.equal(await startEffects(page), "2");
  const counts = await relayStats();
  assert.equal(counts.refresh, 1, "one refresh with the cookie, although the effect ran twice");
  assert.equal(counts.token, 0, "no code exchange");
  assert.equal(await canvasExchanges() - exchangesBefore, 0);
  assert.deepEqual(canvasPages, [], "no trip to Canvas");
  assert.equal(await page.locator("#error").count(), 0);
  assert.deepEqual(page.errors, []);
});

test("React: sign-out ends the session, and a reload stays signed out", { timeout: 60_000 }, async () => {
  const page = await newPage(context());
  await signInThroughCanvas(page);
  await waitForStatus(page, "signed-in");

  await page.click("#sign-out");
  await waitForStatus(page, "signed-out");
  assert.equal(await page.locator("#signed-out-result").getAttribute("data-revocation"), "confirmed");
  assert.equal((await relayStats()).revoke, 1);
  assert.equal(await page.locator("#load-profile").count(), 0, "no API button when signed out");

  await page.reload();
  await waitForStatus(page, "signed-out");
  assert.equal(await page.locator("#error").count(), 0, "being signed out is no error");
  assert.equal(await page.locator("#sign-in").count(), 1);
  assert.deepEqual(page.errors, []);
});

test("React: Cancel on the consent page shows the error by its code; no code exchange", { timeout: 60_000 }, async () => {
  const page = await newPage(context());
  await signInThroughCanvas(page, { accept: false });
  await waitForStatus(page, "signed-out");
  assert.equal(await errorCode(page), "access_denied");
  assert.equal(page.url(), `${REACT}/`);
  assert.equal((await relayStats()).token, 0);
  assert.deepEqual(page.errors, []);
});
