// SSR-safe import (issue 15, item 8): importing pkg/canvas_oauth.js in plain Node touches no browser
// global and starts no wasm; only init() fetches and instantiates. Runs in its own process (node --test
// gives each file one), so the traps below see the package's first evaluation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const pkgDir = new URL("../../pkg/", import.meta.url);
const glue = new URL("canvas_oauth.js", pkgDir);
const wasmBytes = readFileSync(new URL("canvas_oauth_bg.wasm", pkgDir));

// Browser-only globals, each replaced by a getter that records who read it (`typeof window` reads it
// too). Recording rather than throwing: a throw could be caught inside the package and go unnoticed.
const BROWSER_GLOBALS = ["window", "self", "document", "location", "navigator", "history", "sessionStorage", "localStorage", "indexedDB"];
const touched = [];
for (const name of BROWSER_GLOBALS) {
  const original = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, {
    configurable: true,
    get() {
      touched.push({ name, stack: new Error().stack.split("\n").slice(2, 4).join(" | ") });
      return original?.get ? original.get.call(globalThis) : original?.value;
    },
  });
}

// Everything that loads or starts wasm, wrapped to record the package's calls and then do the real
// thing. Calls from Node itself are left out: its fetch (undici) compiles its own llhttp wasm lazily,
// for example when the glue's `instanceof Response` first touches the global Response.
const calls = [];
const fromPackage = () => new Error().stack.includes("/pkg/canvas_oauth.js");
const record = (name, target) => (...args) => {
  if (fromPackage()) calls.push(name);
  return target(...args);
};
const realFetch = globalThis.fetch;
globalThis.fetch = (input, ...rest) => {
  calls.push(`fetch ${input}`); // from anyone: nothing else in this process fetches
  if (String(input) === new URL("canvas_oauth_bg.wasm", pkgDir).href) {
    // Node's fetch has no file: URLs; answer as a server would, with the wasm MIME type.
    return Promise.resolve(new Response(wasmBytes, { headers: { "Content-Type": "application/wasm" } }));
  }
  return realFetch(input, ...rest);
};
for (const name of ["instantiate", "instantiateStreaming", "compile", "compileStreaming"]) {
  WebAssembly[name] = record(`WebAssembly.${name}`, WebAssembly[name].bind(WebAssembly));
}
for (const name of ["Module", "Instance"]) {
  WebAssembly[name] = new Proxy(WebAssembly[name], {
    construct(target, args) {
      if (fromPackage()) calls.push(`new WebAssembly.${name}`);
      return Reflect.construct(target, args);
    },
  });
}
const touchedNames = () => touched.map((t) => `${t.name} (${t.stack})`);

const imported = await import(glue);
const importTouched = touchedNames();
const importCalls = [...calls];

test("importing the package touches no browser global", () => {
  assert.equal(globalThis.document, undefined, "this test runs without a DOM");
  assert.deepEqual(importTouched, []);
});

test("importing the package fetches and instantiates no wasm", () => {
  assert.deepEqual(importCalls, []);
  assert.equal(typeof imported.default, "function", "init is the default export");
  assert.equal(typeof imported.initSync, "function");
});

test("a function that needs the wasm fails before init(), rather than starting it", () => {
  assert.throws(() => imported.createState());
  assert.deepEqual(calls, [], "still nothing fetched or instantiated");
});

test("init({ module_or_path: bytes }) instantiates the wasm in Node, without fetch or browser globals", async () => {
  touched.length = 0;
  calls.length = 0;
  const mod = await import(`${glue.href}?bytes`); // a query string: a fresh module instance, its own wasm
  assert.deepEqual(calls, [], "a second import starts nothing either");
  await mod.default({ module_or_path: wasmBytes });
  assert.deepEqual(calls, ["WebAssembly.instantiate"]);
  assert.deepEqual(touchedNames(), [], "init touches no browser global");
  assert.match(mod.createState(), /^[A-Za-z0-9_-]{43}$/);
  await mod.default({ module_or_path: wasmBytes });
  assert.deepEqual(calls, ["WebAssembly.instantiate"], "a second init() loads nothing");
});

test("init() with no argument fetches the .wasm next to the glue, once", async () => {
  calls.length = 0;
  await imported.default();
  assert.deepEqual(calls, [`fetch ${new URL("canvas_oauth_bg.wasm", pkgDir).href}`, "WebAssembly.instantiateStreaming"]);
  assert.match(imported.createState(), /^[A-Za-z0-9_-]{43}$/);
});
