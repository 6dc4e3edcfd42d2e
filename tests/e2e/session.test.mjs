// A signed-in session: API calls, pagination, expiry and refresh, reload, and what is stored.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BASE, STANDIN, USER, contextPerTest, newPage, ready, signIn, stats, resetStats, text, callSelf, waitForExpiry, waitForLog,
  logLines,
} from "./helpers.mjs";

const context = contextPerTest();

const T = { timeout: 60_000 };

describe("signed in", () => {
  test("an API call, and pagination through the relay's rewritten Link headers", T, async () => {
    const page = await newPage(context());
    await signIn(page);
    await resetStats();

    assert.equal(await callSelf(page), "GET /api/v1/users/self → 200");
    const self = JSON.parse(await text(page, "#result-body"));
    assert.equal(self.id, Number(USER.id));
    assert.equal(self.name, USER.name);

    await page.click("#btn-courses");
    await page.waitForFunction(() => /courses in/.test(document.getElementById("result-title").textContent));
    assert.equal(await text(page, "#result-title"), "12 courses in 3 pages");
    const rows = (await text(page, "#result-body")).split("\n");
    assert.equal(rows.length, 12);
    assert.match(rows[0], /^101\s/);
    assert.match(rows[11], /^112\s/);
    const counts = await stats();
    assert.equal(counts.api, 4, "one call for users/self, three pages");
    assert.equal(counts.refresh, 0);
  });

  test("\"GraphQL: my courses\" lists the courses through the relay's /api/graphql", T, async () => {
    const page = await newPage(context());
    await signIn(page);
    await resetStats();
    await page.click("#btn-graphql");
    await page.waitForFunction(() => /^GraphQL: /.test(document.getElementById("result-title").textContent));
    assert.equal(await text(page, "#result-title"), "GraphQL: 12 courses");
    const rows = (await text(page, "#result-body")).split("\n");
    assert.match(rows[0], /^101\s/);
    const counts = await stats();
    assert.equal(counts.graphql, 1);
    assert.equal(counts.api, 0);
  });

  test("the token expires and is refreshed automatically, on use and on schedule", T, async () => {
    const page = await newPage(context());
    await signIn(page);
    await resetStats();
    await waitForExpiry(page);
    assert.match(await text(page, "#expires"), /^expired/);

    // On use: the API call gets a fresh token first (the old one is dead at Canvas by now).
    assert.equal(await callSelf(page), "GET /api/v1/users/self → 200");
    let counts = await stats();
    assert.equal(counts.refresh, 1, "one refresh");
    assert.equal(counts.api, 1, "no failed first attempt: the token was refreshed before the call");
    await waitForLog(page, "token refreshed");
    assert.match(await text(page, "#expires"), /^expires in/);

    // On schedule: with "refresh automatically", the page asks for a token when it falls due.
    await page.check("#auto-refresh");
    await waitForLog(page, "token refreshed", 2);
    counts = await stats();
    assert.equal(counts.refresh, 2);
    assert.equal(counts.api, 1, "no API call was needed to refresh");
    assert.equal(await callSelf(page), "GET /api/v1/users/self → 200");
    assert.deepEqual(page.errors, []);
  });

  test("a reload restores the session from the relay cookie without signing in again", T, async () => {
    const page = await newPage(context());
    await signIn(page);
    await resetStats();
    const canvasVisits = [];
    page.on("request", (request) => { if (request.url().startsWith(STANDIN)) canvasVisits.push(request.url()); });

    await page.reload();
    await ready(page);
    await page.waitForSelector("#signed-in:not([hidden])");
    assert.equal(await text(page, "#user-name"), USER.name);
    assert.deepEqual(canvasVisits, [], "the browser never went to Canvas");
    const counts = await stats();
    assert.equal(counts.token, 0, "no code exchange");
    assert.equal(counts.refresh, 1, "one refresh with the cookie");
    assert.equal(await callSelf(page), "GET /api/v1/users/self → 200");
    const lines = await logLines(page);
    assert.ok(lines.some((l) => l.startsWith("session restored")), lines.join("\n"));

    // A new tab after the old one is closed: the same (the cookie is per browser, not per tab).
    await page.close();
    const fresh = await newPage(context());
    await fresh.goto(`${BASE}/`);
    await ready(fresh);
    await fresh.waitForSelector("#signed-in:not([hidden])");
  });

  test("a Canvas web session opens in a new window; \"Get a valid token\" refreshes only when due", T, async () => {
    const page = await newPage(context());
    await signIn(page);
    await resetStats();
    const [popup] = await Promise.all([context().waitForEvent("page"), page.click("#btn-web-session")]);
    await popup.waitForURL((url) => url.href.startsWith(`${STANDIN}/`) && !url.search.includes("session_token"));
    await popup.waitForSelector(`text=${USER.name}`);
    assert.equal((await stats()).session_url, 1);
    await popup.close();

    await page.click("#btn-token");
    await page.waitForFunction(() => /still valid/.test(document.getElementById("result-body").textContent));
    assert.equal((await stats()).refresh, 0);
    await waitForExpiry(page);
    await page.click("#btn-token");
    await page.waitForFunction(() => /new token/.test(document.getElementById("result-body").textContent));
    assert.equal((await stats()).refresh, 1);
  });

  test("nothing token-like in localStorage, sessionStorage, IndexedDB or document.cookie", T, async () => {
    const page = await newPage(context());
    const secrets = new Set();
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.searchParams.has("code")) secrets.add(url.searchParams.get("code"));
      const auth = request.headers()["authorization"];
      if (auth?.startsWith("Bearer ")) secrets.add(auth.slice(7));
    });
    await signIn(page);
    assert.equal(await callSelf(page), "GET /api/v1/users/self → 200");
    await waitForExpiry(page);
    assert.equal(await callSelf(page), "GET /api/v1/users/self → 200"); // after a refresh: a second token
    const cookies = await context().cookies(BASE);
    const relayCookie = cookies.find((c) => c.name === "canvas_relay_rt");
    assert.ok(relayCookie, `the relay cookie is set: ${cookies.map((c) => c.name)}`);
    assert.equal(relayCookie.httpOnly, true);
    assert.equal(relayCookie.sameSite, "Strict");
    secrets.add(relayCookie.value);
    const bearers = [...secrets].filter((s) => /^\d+~/.test(s));
    assert.ok(bearers.length >= 2, `saw the access tokens on the wire (${bearers.length})`);

    const dump = await page.evaluate(async () => {
      const all = (storage) => Object.fromEntries(Object.keys(storage).map((k) => [k, storage.getItem(k)]));
      const idb = [];
      for (const info of (await indexedDB.databases?.()) ?? []) {
        const db = await new Promise((resolve, reject) => {
          const open = indexedDB.open(info.name);
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        for (const store of db.objectStoreNames) {
          const rows = await new Promise((resolve) => {
            const request = db.transaction(store).objectStore(store).getAll();
            request.onsuccess = () => resolve(request.result);
          });
          idb.push({ db: info.name, store, rows });
        }
        db.close();
      }
      return { local: all(localStorage), session: all(sessionStorage), idb, cookie: document.cookie };
    });
    assert.equal(dump.cookie, "", "document.cookie shows nothing (the relay cookie is HttpOnly)");
    const stored = JSON.stringify(dump);
    for (const secret of secrets) assert.ok(!stored.includes(secret), "a code, token or the cookie value is in storage");
    assert.doesNotMatch(stored, /\d+~[A-Za-z0-9]{20,}/, "something shaped like a Canvas token is in storage");
    assert.doesNotMatch(stored, /access_token|refresh_token|code_verifier|canvas-oauth:flow/i);
    assert.ok(!JSON.stringify(await page.content()).match(/\d+~[A-Za-z0-9]{20,}/), "no token in the page either");
  });
});

