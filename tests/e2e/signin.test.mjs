// Sign-in through the stand-in's real pages, and the ways it can fail.
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, STANDIN, USER, contextPerTest, newPage, openDemo, ready, logIn, onConsentPage, signIn, shownError, stats,
  resetStats, text, logLines,
} from "./helpers.mjs";

const context = contextPerTest();
beforeEach(resetStats);

describe("sign-in", () => {
  test("full sign-in through the login and consent pages; no code left in the address bar", { timeout: 60_000 }, async () => {
    const page = await newPage(context());
    const navigations = [];
    page.on("framenavigated", (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
    await openDemo(page);
    assert.equal(await text(page, "#status"), "signed out");

    await page.click("#sign-in");
    await logIn(page);
    await onConsentPage(page);
    assert.match(await page.content(), /Canvas OAuth Demo/, "the consent page names the developer key");
    await page.click("#oauth2_accept_form button.primary");
    await page.waitForURL((url) => url.href.startsWith(`${BASE}/`));
    await ready(page);

    assert.equal(await text(page, "#status"), "signed in");
    assert.equal(await text(page, "#user-name"), USER.name);
    assert.equal(await text(page, "#user-id"), USER.id);
    assert.match(await text(page, "#expires"), /expires in 0:0\d/);
    // The browser did arrive with ?code=…&state=…, and the page removed them at once.
    assert.ok(navigations.some((u) => u.startsWith(`${BASE}/?code=`)), `navigations: ${navigations}`);
    assert.equal(page.url(), `${BASE}/`);
    assert.equal(await page.evaluate(() => location.search + location.hash), "");
    const lines = await logLines(page);
    assert.ok(lines.some((l) => l.startsWith("state and PKCE verifier created")), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("code exchanged through the relay")), lines.join("\n"));
    const counts = await stats();
    assert.equal(counts.token, 1, "exactly one code exchange");
    assert.deepEqual(page.errors, []);
  });

  test("Cancel on the consent page shows access_denied", { timeout: 60_000 }, async () => {
    const page = await newPage(context());
    await openDemo(page);
    await page.click("#sign-in");
    await logIn(page);
    await onConsentPage(page);
    await page.click("text=Cancel");
    await page.waitForURL((url) => url.href.startsWith(`${BASE}/`));
    await ready(page);
    const error = await shownError(page);
    assert.equal(error.code, "access_denied");
    assert.equal(await text(page, "#status"), "signed out");
    assert.equal(page.url(), `${BASE}/`, "the error parameters leave the address bar too");
    assert.equal((await stats()).token, 0, "no code exchange after a denial");
  });

  test("prompt=none without a Canvas session shows login_required", { timeout: 60_000 }, async () => {
    const page = await newPage(context());
    const standinPages = [];
    page.on("framenavigated", (frame) => { if (frame.url().startsWith(STANDIN)) standinPages.push(frame.url()); });
    await openDemo(page);
    await page.check("#opt-prompt-none");
    await page.click("#sign-in");
    await page.waitForURL((url) => url.href.startsWith(`${BASE}/`) && !url.href.startsWith(`${BASE}/?`) || url.searchParams.has("error"));
    await ready(page);
    const error = await shownError(page);
    assert.equal(error.code, "login_required");
    assert.deepEqual(standinPages, [], "prompt=none shows no Canvas page");
    assert.equal((await stats()).token, 0);
  });

  test("prompt=none with a Canvas session but no remembered authorization shows interaction_required", { timeout: 60_000 }, async () => {
    const page = await newPage(context());
    await signIn(page);
    await page.click("#btn-sign-out"); // revokes the token; the Canvas web session stays
    await page.waitForSelector("#signed-out:not([hidden])");
    const said = await page.locator('#log li[data-kind="signed-out"] span').first().textContent();
    assert.equal(said, "token revoked", "the stand-in confirmed the revocation (signOut's revocation: confirmed)");
    await page.check("#opt-prompt-none");
    await page.click("#sign-in");
    await page.waitForURL((url) => url.href === `${BASE}/`);
    await ready(page);
    assert.equal((await shownError(page)).code, "interaction_required", "no remembered authorization: Canvas must ask");

    assert.equal(await text(page, "#status"), "signed out");
    assert.equal((await stats()).token, 1, "only the first sign-in exchanged a code");
  });

  test("a tampered callback (wrong state) makes no relay call; the genuine one still works", { timeout: 60_000 }, async () => {
    const page = await newPage(context());
    await openDemo(page);
    await page.click("#sign-in");
    await logIn(page);
    await onConsentPage(page);
    // Hold the real callback back (Canvas's redirect is read, not followed), and arrive with
    // the same code but another state.
    let genuine;
    await page.route(`${STANDIN}/login/oauth2/accept`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      genuine = response.headers()["location"];
      await route.fulfill({ status: 200, contentType: "text/plain", body: "held back by the test" });
    });
    await page.click("#oauth2_accept_form button.primary");
    await page.waitForSelector("text=held back by the test");
    await page.unrouteAll({ behavior: "ignoreErrors" });
    assert.ok(genuine?.startsWith(`${BASE}/?code=`), `Canvas's redirect: ${genuine}`);
    const tampered = new URL(genuine);
    tampered.searchParams.set("state", "A".repeat(43));
    await resetStats();

    await page.goto(tampered.href);
    await ready(page);
    const error = await shownError(page);
    assert.equal(error.code, "state_unknown");
    assert.equal(await text(page, "#status"), "signed out");
    assert.equal(page.url(), `${BASE}/`, "the tampered code leaves the address bar too");
    assert.deepEqual(await stats(), { token: 0, refresh: 0, revoke: 0, session_url: 0, cookie_check: 0, lti: 0, api: 0, graphql: 0 }, "no relay call at all");

    await page.goto(genuine);
    await ready(page);
    await page.waitForSelector("#signed-in:not([hidden])");
    assert.equal((await stats()).token, 1);
  });
});
