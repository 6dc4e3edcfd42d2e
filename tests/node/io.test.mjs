// src/io.js as packaged (pkg/snippets/…/src/io.js): the browser I/O the wasm driver awaits. Each
// function answers a value or one of its failure numbers; these check the numbers and the Web
// Lock protocol against Node's fetch, Response and streams and a scripted navigator.locks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readdirSync } from "node:fs";
import { getEventListeners } from "node:events";

const root = new URL("../../pkg/snippets/", import.meta.url);
const dir = readdirSync(root).find((name) => name.startsWith("canvas-oauth-"));
const io = await import(new URL(`${dir}/src/io.js`, root));
const TOO_LARGE = 1, NOT_UTF8 = 2, TIMED_OUT = 4, UNREACHABLE = 5, BAD_INIT = 6, NOT_JSON = 7;

/** A Response over a stream of `chunks`, counting how many the reader pulled. */
function streamed(chunks, headers = {}) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream({
    pull(controller) {
      if (state.pulled === chunks.length) return controller.close();
      controller.enqueue(chunks[state.pulled++]);
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 }); // pulled only when read
  return { response: new Response(body, { headers }), state };
}

test("readCapped refuses a declared length over the cap without reading", async () => {
  const { response, state } = streamed([new Uint8Array(10)], { "Content-Length": "11" });
  assert.equal(await io.readCapped(response, 10), TOO_LARGE);
  assert.equal(state.pulled, 0);
});

test("readCapped stops a stream at the cap and cancels it", async () => {
  const chunk = new Uint8Array(6).fill(0x61);
  const { response, state } = streamed([chunk, chunk, chunk]);
  assert.equal(await io.readCapped(response, 10), TOO_LARGE);
  assert.equal(state.pulled, 2, "nothing read after the chunk that crossed the cap");
  assert.ok(state.cancelled);
});

test("readCapped joins chunks, keeps a BOM, and refuses bytes that are not UTF-8", async () => {
  const bytes = (text) => new TextEncoder().encode(text);
  const { response } = streamed([bytes("\uFEFF{\"a\":"), bytes("\"é\"}")]);
  assert.equal(await io.readCapped(response, 100), "\uFEFF{\"a\":\"é\"}");
  const split = streamed([Uint8Array.of(0x22, 0xc3), Uint8Array.of(0xa9, 0x22)]);
  assert.equal(await io.readCapped(split.response, 100), "\"é\"", "a character split across chunks");
  const bad = streamed([Uint8Array.of(0x22, 0xff, 0x22)]);
  assert.equal(await io.readCapped(bad.response, 100), NOT_UTF8);
  assert.equal(await io.readCapped(new Response(null), 100), "");
});

test("readJson answers [the value], NOT_JSON, or readCapped's failure", async () => {
  const json = (text, headers) => new Response(text, { headers });
  assert.deepEqual(await io.readJson(json('{"a":[1]}'), 100), [{ a: [1] }]);
  assert.deepEqual(await io.readJson(json("null"), 100), [null]);
  assert.equal(await io.readJson(json("<html>"), 100), NOT_JSON);
  assert.equal(await io.readJson(json(""), 100), NOT_JSON);
  assert.equal(await io.readJson(json("[1,2,3]"), 3), TOO_LARGE);
  assert.equal(await io.readJson(new Response(Uint8Array.of(0x22, 0xff, 0x22)), 100), NOT_UTF8);
});

/** A server on an ephemeral loopback port answering each path as `routes` says. */
async function serve(routes) {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => routes[req.url](req, res, body));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = () => {
    server.close();
    server.closeAllConnections();
  };
  return { base: `http://127.0.0.1:${server.address().port}`, close };
}

test("relayPost sends the relay header, token and JSON body, and answers status, object and Retry-After", async (t) => {
  let seen;
  const { base, close } = await serve({
    "/ok": (req, res, body) => {
      seen = { header: req.headers["x-canvas-relay"], auth: req.headers.authorization, type: req.headers["content-type"], body };
      res.setHeader("Retry-After", "7");
      res.end('{"access_token":"t"}');
    },
    "/array": (req, res) => res.end("[1]"),
    "/html": (req, res) => res.end("<html>"),
    "/huge": (req, res) => res.end("x".repeat(2000)),
    "/stall": (req, res) => res.writeHead(200).flushHeaders(),
  });
  t.after(close);
  assert.deepEqual(await io.relayPost(`${base}/ok`, "X-Canvas-Relay", { a: 1 }, "tok", 5000, 1000), [200, { access_token: "t" }, "7"]);
  assert.deepEqual(seen, { header: "1", auth: "Bearer tok", type: "application/json", body: '{"a":1}' });
  assert.deepEqual(await io.relayPost(`${base}/array`, "X-Canvas-Relay", undefined, undefined, 5000, 1000), [200, null, null]);
  assert.deepEqual(await io.relayPost(`${base}/html`, "X-Canvas-Relay", undefined, undefined, 5000, 1000), [200, null, null]);
  assert.equal(await io.relayPost(`${base}/huge`, "X-Canvas-Relay", undefined, undefined, 5000, 1000), TOO_LARGE);
  assert.equal(await io.relayPost(`${base}/stall`, "X-Canvas-Relay", undefined, undefined, 200, 1000), TIMED_OUT, "the deadline covers the body");
  close();
  assert.equal(await io.relayPost(`${base}/ok`, "X-Canvas-Relay", undefined, undefined, 5000, 1000), UNREACHABLE);
});

test("apiRequest refuses what is not a RequestInit; apiAttempt keeps the deadline under the caller's signal", async (t) => {
  assert.equal(io.apiRequest("http://127.0.0.1/api/v1/x", { method: "GET", body: "no body on GET" }, "t", "X-Canvas-Relay"), BAD_INIT);
  const { base, close } = await serve({ "/slow": () => {} });
  t.after(close);
  const template = io.apiRequest(`${base}/slow`, {}, "tok", "X-Canvas-Relay");
  assert.equal(template.headers.get("authorization"), "Bearer tok");
  const caller = new AbortController();
  assert.equal(await io.apiAttempt(template, caller.signal, io.deadline(100)), TIMED_OUT);
  const mine = new AbortController();
  const pending = io.apiAttempt(template, mine.signal, io.deadline(5000));
  mine.abort(new Error("the caller's own"));
  await assert.rejects(pending, /the caller's own/);
});

/** navigator.locks with each request's behaviour scripted: "free", "busy" (ifAvailable gets
 *  null), or an error the request rejects with before calling back. */
function scriptedLocks(script) {
  const calls = [];
  globalThis.navigator = {
    locks: {
      async request(name, options, callback) {
        const step = script[calls.length];
        calls.push({ name, ifAvailable: typeof options === "object" && options.ifAvailable === true });
        callback ??= options;
        if (step instanceof Error) throw step;
        return callback(step === "busy" ? null : { name });
      },
    },
  };
  return calls;
}

test("withLock asks for a free lock once and runs the task as the first holder", async (t) => {
  t.after(() => delete globalThis.navigator);
  const calls = scriptedLocks(["free"]);
  const ran = [];
  assert.deepEqual(await io.withLock("n", async (waited) => (ran.push(waited), "v")), ["v"]);
  assert.deepEqual(ran, [false]);
  assert.deepEqual(calls, [{ name: "n", ifAvailable: true }]);
});

test("withLock waits for a held lock and tells the task it waited", async (t) => {
  t.after(() => delete globalThis.navigator);
  const calls = scriptedLocks(["busy", "free"]);
  const ran = [];
  assert.deepEqual(await io.withLock("n", async (waited) => (ran.push(waited), 3)), [3]);
  assert.deepEqual(ran, [true]);
  assert.deepEqual(calls.map((c) => c.ifAvailable), [true, false]);
});

test("withLock answers null, the task not run, when no lock can be asked for", async (t) => {
  t.after(() => delete globalThis.navigator);
  const task = () => assert.fail("the task must not run");
  assert.equal(await io.withLock("n", task), null, "no navigator.locks");
  const denied = Object.assign(new Error("blocked"), { name: "SecurityError" });
  scriptedLocks([denied]);
  assert.equal(await io.withLock("n", task), null, "the first request refused");
  scriptedLocks(["busy", denied]);
  assert.equal(await io.withLock("n", task), null, "the waiting request refused");
});

test("withLock rejects with what the task threw", async (t) => {
  t.after(() => delete globalThis.navigator);
  scriptedLocks(["free"]);
  await assert.rejects(io.withLock("n", async () => { throw new Error("refresh failed"); }), /refresh failed/);
});

test("sleep leaves no listener on the caller's signal once its time is up", async () => {
  const controller = new AbortController();
  await Promise.all([io.sleep(10, controller.signal), io.sleep(20, controller.signal)]);
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);
  const pending = io.sleep(60_000, controller.signal);
  assert.equal(getEventListeners(controller.signal, "abort").length, 1, "a sleep under way listens");
  controller.abort();
  await pending;
});

test("sleep resolves after its time, or at once when its signal aborts", async () => {
  const started = Date.now();
  await io.sleep(30);
  assert.ok(Date.now() - started >= 25);
  const controller = new AbortController();
  const pending = io.sleep(60_000, controller.signal);
  controller.abort();
  const first = (sleeping) => Promise.race([sleeping.then(() => "sleep"), new Promise((r) => setTimeout(r, 2000, "not early"))]);
  assert.equal(await first(pending), "sleep");
  assert.equal(await first(io.sleep(60_000, controller.signal)), "sleep", "a signal aborted before the sleep");
});
