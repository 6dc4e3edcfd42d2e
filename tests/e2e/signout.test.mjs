// Signing out: of this app only, or of Canvas too (signOut({ endCanvasSession: true })).
import { beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, STANDIN, contextPerTest, newPage, openDemo, ready, logIn, onConsentPage, signIn, stats, resetStats, text,
} from "./helpers.mjs";

const context = contextPerTest();
beforeEach(resetStats);
const T = { timeout: 60_000 };

/** Every top-level URL on the stand-in's login page (not the OAuth2 endpoints) from now on. */
function loginPages(page) {
  const seen = [];
  page.on("framenavigated", (frame) => {
    const url = new URL(frame.url());
    if (frame === page.mainFrame() && url.origin === STANDIN && url.pathname.startsWith("/login") &&
        !url.pathname.startsWith("/login/oauth2")) seen.push(url.href);
  });
  return seen;
}

describe("sign-out", () => {
  test("a plain sign-out keeps the Canvas session: signing in again asks no password", T, async () => {
    const page = await newPage(context());
    await signIn(page);
    await page.click("#btn-sign-out");
    await page.waitForSelector("#signed-out:not([hidden])");
    assert.equal(page.url().startsWith(BASE), true, "the page stays");
    const logins = loginPages(page);
    await page.click("#sign-in");
    await onConsentPage(page);
    assert.deepEqual(logins, [], "Canvas still knows this browser");
    await page.click("#oauth2_accept_form button.primary");
    await page.waitForURL((url) => url.href.startsWith(`${BASE}/`));
    await ready(page);
    assert.equal(await text(page, "#status"), "signed in");
  });

  test("with \"Also end Canvas sessions\" the browser leaves for Canvas's logout; then sign-in asks the password again", T, async () => {
    const page = await newPage(context());
    await signIn(page);
    await page.check("#opt-expire-sessions");
    await page.click("#btn-sign-out");
    // The library navigates top-level to Canvas's GET /logout, which asks to confirm.
    await page.waitForURL((url) => url.href === `${STANDIN}/logout`);
    assert.match(await page.content(), /Are you sure you want to log out of Canvas\?/);
    const counts = await stats();
    assert.equal(counts.revoke, 1, "the token was revoked through the relay first");
    await page.click('#logout_form button[type="submit"]');
    await page.waitForURL((url) => url.href.startsWith(`${STANDIN}/login`));

    await openDemo(page);
    assert.equal(await text(page, "#status"), "signed out");
    const logins = loginPages(page);
    await page.click("#sign-in");
    await logIn(page); // the stand-in's login form: Canvas no longer knows this browser
    assert.equal(logins.length >= 1, true, `login pages seen: ${logins}`);
    await onConsentPage(page);
    await page.click("#oauth2_accept_form button.primary");
    await page.waitForURL((url) => url.href.startsWith(`${BASE}/`));
    await ready(page);
    assert.equal(await text(page, "#status"), "signed in");
    assert.deepEqual(page.errors, []);
  });
});
