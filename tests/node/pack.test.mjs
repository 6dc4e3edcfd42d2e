// The `npm pack` check (issue 15, item 9): the tarball of pkg/ holds exactly what a user needs, and a
// scratch project that installs it can import it in Node and type-check against it with `tsc --strict`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const pkgDir = join(root, "pkg");
const read = (path) => readFileSync(join(root, path), "utf8");
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
let scratch;
let packed;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), "canvas-oauth-pack-"));
  [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", scratch], pkgDir));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

// The glue imports its wasm-bindgen snippets (inline JS) by relative path; they are part of the glue.
function snippetsImportedByGlue() {
  const glue = readFileSync(join(pkgDir, "canvas_oauth.js"), "utf8");
  return [...new Set([...glue.matchAll(/from\s+["']\.\/(snippets\/[^"']+)["']/g)].map((m) => m[1]))];
}

test("npm pack ships the wasm, the JS glue, the types, package.json, README and licenses, nothing else", () => {
  const snippets = snippetsImportedByGlue();
  const expected = [
    "LICENSE-APACHE",
    "LICENSE-MIT",
    "README.md",
    "canvas_oauth.d.ts",
    "canvas_oauth.js",
    "canvas_oauth_bg.wasm",
    "package.json",
    ...snippets,
  ].sort();
  assert.deepEqual(packed.files.map((f) => f.path).sort(), expected);
  assert.deepEqual(packed.bundled, []);
});

test("the packed README and licenses are the repository's texts", () => {
  const extract = join(scratch, "extract");
  run("mkdir", ["-p", extract]);
  run("tar", ["-xzf", join(scratch, packed.filename), "-C", extract]);
  const shipped = (name) => readFileSync(join(extract, "package", name), "utf8");
  assert.equal(shipped("README.md"), read("docs/npm-readme.md"));
  assert.equal(shipped("LICENSE-MIT"), read("LICENSE-MIT"));
  assert.equal(shipped("LICENSE-APACHE"), read("LICENSE-APACHE"));
  assert.match(shipped("LICENSE-APACHE"), /Apache License\s+Version 2\.0, January 2004/);
  assert.match(shipped("LICENSE-MIT"), /^MIT License/);
  assert.equal(JSON.parse(shipped("package.json")).license, "MIT OR Apache-2.0");
});

test("the tarball installs into a scratch project, imports in Node and type-checks with tsc --strict", () => {
  const app = join(scratch, "app");
  run("mkdir", ["-p", app]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(scratch, packed.filename)], app);
  assert.deepEqual(readdirSync(join(app, "node_modules")).filter((n) => !n.startsWith(".")), ["canvas-oauth"]);

  // Resolved by name, through package.json's `exports` (both the module and the wasm subpath).
  const out = run("node", ["--input-type=module", "-e", `
    import { readFileSync } from "node:fs";
    import init, { createState } from "canvas-oauth";
    await init({ module_or_path: readFileSync(new URL(import.meta.resolve("canvas-oauth/canvas_oauth_bg.wasm"))) });
    process.stdout.write(createState());
  `], app);
  assert.match(out, /^[A-Za-z0-9_-]{43}$/);

  writeFileSync(join(app, "usage.ts"), `
import init, { CanvasAuth, createState, parseCallback } from "canvas-oauth";
import type { CanvasAuthError, CanvasAuthErrorCode, Session } from "canvas-oauth";

export async function signIn(): Promise<Session | null> {
  await init();
  const state: string = createState();
  const result = parseCallback(\`https://app.example/cb?code=a&state=\${state}\`);
  const auth = new CanvasAuth({ canvasUrl: "https://canvas.example.edu", clientId: "1", redirectUri: "https://app.example/", relayUrl: "/relay" });
  // @ts-expect-error: canvasUrl is required (fails the check if the types stop resolving or stop requiring it)
  new CanvasAuth({ clientId: "1", redirectUri: "https://app.example/", relayUrl: "/relay" });
  try {
    return "code" in result ? await auth.handleCallback() : await auth.restore();
  } catch (e) {
    const code: CanvasAuthErrorCode = (e as CanvasAuthError).code;
    throw new Error(code);
  }
}
`);
  const tsc = join(root, "node_modules/.bin/tsc");
  const common = ["--strict", "--noEmit", "--skipLibCheck", "false", "--target", "es2022", "--lib", "esnext,dom,dom.iterable,dom.asynciterable", "usage.ts"];
  for (const [module, resolution] of [["esnext", "bundler"], ["node16", "node16"]]) {
    try {
      run(tsc, ["--module", module, "--moduleResolution", resolution, ...common], app);
    } catch (e) {
      assert.fail(`tsc (--moduleResolution ${resolution}) failed:\n${e.stdout}${e.stderr}`);
    }
  }
});
