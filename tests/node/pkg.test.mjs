// Tests the built npm package (release wasm after wasm-opt, through its real JS glue) in Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const pkgDir = new URL("../../pkg/", import.meta.url);
const mod = await import(new URL("canvas_oauth.js", pkgDir));
await mod.default({ module_or_path: readFileSync(new URL("canvas_oauth_bg.wasm", pkgDir)) });
const { createState, parseCallback, pkceChallenge } = mod;
const STATE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

function assertCanvasError(fn, code) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, "an Error instance");
    assert.equal(e.name, "CanvasAuthError");
    assert.equal(e.code, code);
    assert.equal(typeof e.description, "string");
    assert.ok(e.description.length > 0);
    return true;
  });
}

test("exports exactly the documented free functions", () => {
  for (const name of ["createState", "parseCallback", "pkceChallenge"]) assert.equal(typeof mod[name], "function", name);
});

test("createState gives distinct 43-char base64url values", () => {
  const seen = new Set();
  for (let i = 0; i < 1000; i++) {
    const s = createState();
    assert.match(s, /^[A-Za-z0-9_-]{43}$/);
    seen.add(s);
  }
  assert.equal(seen.size, 1000);
});

test("pkceChallenge: RFC 7636 Appendix B, and typed errors", () => {
  assert.equal(pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  for (const bad of ["", "short", "a".repeat(129), "a".repeat(42) + "=", undefined, null, 5, {}, []]) {
    assertCanvasError(() => pkceChallenge(bad), "invalid_argument");
  }
});

test("parseCallback: code, error and thrown cases", () => {
  assert.deepEqual({ ...parseCallback(`https://a.example/cb?code=abc&state=${STATE}`) }, { code: "abc", state: STATE });
  assert.deepEqual(
    { ...parseCallback(`https://a.example/cb?error=invalid_scope&error_description=A+requested+scope&state=${STATE}`) },
    { error: "invalid_scope", errorDescription: "A requested scope", state: STATE },
  );
  assert.equal(parseCallback(new URL(`https://a.example/cb?code=u&state=${STATE}`)).code, "u");
  assertCanvasError(() => parseCallback("https://a.example/cb?code=abc"), "state_missing");
  assertCanvasError(() => parseCallback(`https://a.example/cb?state=${STATE}&state=${STATE}&code=x`), "callback_malformed");
  assertCanvasError(() => parseCallback(`https://a.example/cb#code=x&state=${STATE}`), "callback_malformed");
  assertCanvasError(() => parseCallback(undefined), "invalid_argument");
  assertCanvasError(() => parseCallback(12), "invalid_argument");
});

test("the module survives hostile input (no panic, no trap)", () => {
  const hostile = ["\u0000", "%", "?&&&==", "?code=%F0%28%8C%28&state=x", "?" + "a=".repeat(20000), "🦀".repeat(10000), "?state=" + "x".repeat(600) + "&code=y"];
  for (const input of hostile) {
    try { parseCallback(input); } catch (e) { assert.equal(e.name, "CanvasAuthError", String(e)); }
    try { pkceChallenge(input); } catch (e) { assert.equal(e.name, "CanvasAuthError", String(e)); }
  }
  assert.equal(createState().length, 43);
  assert.equal(parseCallback(`https://a/cb?code=c&state=${STATE}`).code, "c");
});

test("TypeScript definitions type every export, with no `any`", () => {
  const dts = readFileSync(new URL("canvas_oauth.d.ts", pkgDir), "utf8");
  const publicPart = dts.split("export type InitInput")[0];
  assert.doesNotMatch(publicPart, /(:\s*any\b|<any>|\bany\[\]|\|\s*any\b)/);
  assert.match(publicPart, /export function parseCallback\(url: string \| URL\): CallbackResult;/);
  assert.match(publicPart, /export function pkceChallenge\(verifier: string\): string;/);
  assert.match(publicPart, /export function createState\(\): string;/);
  assert.match(publicPart, /export interface CanvasAuthError extends Error/);
  assert.match(publicPart, /constructor\(options: CanvasAuthOptions\);/);
  assert.match(publicPart, /handleCallback\(url\?: string \| URL\): Promise<Session>;/);
  assert.match(publicPart, /fetch\(path: string, init\?: RequestInit\): Promise<Response>;/);
  assert.match(publicPart, /restore\(\): Promise<Session \| null>;/);
  assert.match(publicPart, /readonly session: Session \| null;/);
});

test("package.json carries what npm users need", () => {
  const pkg = JSON.parse(readFileSync(new URL("package.json", pkgDir), "utf8"));
  assert.equal(pkg.name, "canvas-oauth");
  assert.equal(pkg.sideEffects, false);
  assert.equal(pkg.types, "canvas_oauth.d.ts");
  for (const key of ["version", "description", "license", "repository"]) assert.ok(pkg[key], key);
});
