// Two tabs of one browser (two pages in one context): one refresh for both, one sign-out for both.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BASE, USER, contextPerTest, newPage, ready, signIn, stats, resetStats, text, callSelf, waitForExpiry, waitForLog } from "./helpers.mjs";

const context = contextPerTest();

const T = { timeout: 60_000 };

/** Tab A signs in; tab B opens the demo and gets the session from A (no refresh). */
async function twoTabs() {
  const a = await newPage(context());
  await signIn(a);
  await resetStats();
  const b = await newPage(context());
  await b.goto(`${BASE}/`);
  await ready(b);
  await b.waitForSelector("#signed-in:not([hidden])");
  assert.equal(await text(b, "#user-name"), USER.name);
  await waitForLog(b, "session received from another tab");
  assert.equal((await stats()).refresh, 0, "tab B took A's token instead of refreshing (which would kill A's)");
  return { a, b };
}

describe("two tabs", () => {
  test("both keep working across an expiry, with exactly one refresh at the relay", T, async () => {
    const { a, b } = await twoTabs();
    await waitForExpiry(a);
    assert.match(await text(b, "#expires"), /^expired/);
    await resetStats();

    // Both tabs need a fresh token at the same moment.
    const [ra, rb] = await Promise.all([callSelf(a), callSelf(b)]);
    assert.equal(ra, "GET /api/v1/users/self → 200");
    assert.equal(rb, "GET /api/v1/users/self → 200");
    let counts = await stats();
    assert.equal(counts.refresh, 1, "exactly one refresh for both tabs");
    assert.equal(counts.api, 2, "no call was refused and retried");
    // Whichever tab refreshed, the other learned of it.
    const logs = [await a.locator("#log").textContent(), await b.locator("#log").textContent()];
    assert.ok(logs.some((l) => l.includes("another tab refreshed the token")), logs.join("\n---\n"));

    // And again, with the scheduled refresh on in both tabs.
    await resetStats();
    await a.check("#auto-refresh");
    await b.check("#auto-refresh");
    await Promise.all([waitForLog(a, "refreshed", 2), waitForLog(b, "refreshed", 2)]);
    counts = await stats();
    assert.equal(counts.refresh, 1, "the scheduled refresh also happened once");
    const [ra2, rb2] = await Promise.all([callSelf(a), callSelf(b)]);
    assert.equal(ra2, "GET /api/v1/users/self → 200");
    assert.equal(rb2, "GET /api/v1/users/self → 200");
    assert.equal((await stats()).api, 2);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });

  test("signing out in one tab signs out the other", T, async () => {
    const { a, b } = await twoTabs();
    await a.click("#btn-sign-out");
    await a.waitForSelector("#signed-out:not([hidden])");
    await b.waitForSelector("#signed-out:not([hidden])");
    assert.equal(await text(b, "#status"), "signed out");
    await waitForLog(b, "another tab signed out");
    assert.equal((await stats()).revoke, 1);

    // The cookie is gone too: a reload stays signed out.
    await b.reload();
    await ready(b);
    assert.equal(await text(b, "#status"), "signed out");
    assert.equal((await stats()).refresh, 1, "the reload tried the cookie once and found none");
  });
});
