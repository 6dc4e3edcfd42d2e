// One source for error codes: the TypeScript union shipped in pkg/canvas_oauth.d.ts must list exactly
// the `as_str` values of core's `ErrorCode::ALL` (core/src/error.rs), and so must the TS text in src/.
// Both sides are parsed from source; every parse is asserted non-empty, so a format change fails here
// instead of passing silently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";

const read = (path) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

/** The text between `start` and the first `end` after it. */
function section(text, start, end, what) {
  const from = text.indexOf(start);
  assert.ok(from >= 0, `${what}: "${start}" not found`);
  const to = text.indexOf(end, from + start.length);
  assert.ok(to > from, `${what}: no "${end}" after "${start}"`);
  return text.slice(from + start.length, to);
}

function rustCodes() {
  const src = read("core/src/error.rs");
  const variants = [...section(src, "pub enum ErrorCode {", "\n}", "enum").matchAll(/^\s*([A-Z]\w*),?\s*$/gm)].map((m) => m[1]);
  const allDecl = /pub const ALL: \[ErrorCode; (\d+)\] = \[([^\]]*)\];/.exec(src);
  assert.ok(allDecl, "ErrorCode::ALL not found");
  const all = [...allDecl[2].matchAll(/Self::(\w+)/g)].map((m) => m[1]);
  const names = new Map([...section(src, "fn as_str(self)", "\n    }\n", "as_str").matchAll(/Self::(\w+) => "([a-z_]+)"/g)].map((m) => [m[1], m[2]]));
  return { variants, all, declared: Number(allDecl[1]), names };
}

/** The string literals of `export type <name> = ...;` in a TypeScript text. */
function tsUnion(text, name, where) {
  const body = section(text, `export type ${name} =`, ";", where);
  return [...body.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]);
}

test("ErrorCode::ALL lists every variant once, each with an as_str", () => {
  const { variants, all, declared, names } = rustCodes();
  assert.ok(variants.length >= 10, `parsed ${variants.length} enum variants`);
  assert.equal(all.length, declared, "ALL's length matches its declared size");
  assert.equal(new Set(all).size, all.length, "no duplicates in ALL");
  assert.deepEqual([...all].sort(), [...variants].sort(), "ALL holds exactly the enum's variants");
  for (const v of all) assert.ok(names.has(v), `as_str covers ${v}`);
  assert.equal(new Set(names.values()).size, names.size, "as_str strings are distinct");
});

test("the shipped .d.ts union equals ErrorCode::ALL", () => {
  const { all, names } = rustCodes();
  const rust = all.map((v) => names.get(v)).sort();
  const shipped = tsUnion(read("pkg/canvas_oauth.d.ts"), "CanvasAuthErrorCode", "pkg/canvas_oauth.d.ts");
  assert.ok(shipped.length > 0, "parsed the CanvasAuthErrorCode union");
  assert.equal(new Set(shipped).size, shipped.length, "no duplicates in the union");
  assert.deepEqual([...shipped].sort(), rust);
});

test("the TypeScript text in src/ equals ErrorCode::ALL (the .d.ts is generated from it)", () => {
  const { all, names } = rustCodes();
  const sources = readdirSync(new URL("../../src/", import.meta.url)).filter((f) => f.endsWith(".rs"))
    .map((f) => read(`src/${f}`)).filter((t) => t.includes("export type CanvasAuthErrorCode ="));
  assert.equal(sources.length, 1, "exactly one src/*.rs declares CanvasAuthErrorCode");
  assert.deepEqual(tsUnion(sources[0], "CanvasAuthErrorCode", "src").sort(), all.map((v) => names.get(v)).sort());
});

test("the package README explains every code", () => {
  const { all, names } = rustCodes();
  const readme = read("docs/npm-readme.md");
  for (const v of all) assert.ok(readme.includes(`| \`${names.get(v)}\` |`), `docs/npm-readme.md has a row for ${names.get(v)}`);
});
