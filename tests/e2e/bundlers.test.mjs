// The bundler checks: examples/vite, examples/webpack and examples/esbuild (the same entry, the
// package installed from pkg/), built by scripts/e2e.sh, each load in Chromium: the wasm is found
// (Vite's and webpack's asset handling; next to the bundle for esbuild), createState() runs,
// CanvasAuth constructs. Each dist/ is served as static files on a port of its own (port 0).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, readdir } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
const servers = [];
let chromium;

before(async () => {
  chromium = await launch();
});
after(async () => {
  await chromium?.close();
  for (const server of servers) server.close();
});

// Serves examples/<name>/dist/ and records the paths requested.
async function serve(name) {
  const dist = fileURLToPath(new URL(`../../examples/${name}/dist/`, import.meta.url));
  const requested = [];
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    requested.push(path);
    const file = join(dist, path.endsWith("/") ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  servers.push(server);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { dist, requested, origin: `http://127.0.0.1:${server.address().port}` };
}

// Loads the page, waits for the entry's result, and returns the .wasm paths the page fetched.
async function runInChromium(name) {
  const { dist, requested, origin } = await serve(name);
  const page = await chromium.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "warning" && errors.push(`console warning: ${m.text()}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 15_000 });
  const result = await page.evaluate(() => window.result);
  await page.close();
  assert.deepEqual(result, { ok: true, stateLength: 43, authorizeHost: "canvas.example.edu", session: null });
  assert.deepEqual(errors, [], "no page error, and no MIME-type fallback warning from the glue");
  const wasm = requested.filter((p) => p.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one .wasm fetched: ${requested.join(", ")}`);
  return { dist, wasm: wasm[0], files: await readdir(dist, { recursive: true }) };
}

test("the Vite build of examples/vite runs in Chromium", { timeout: 30_000 }, async () => {
  const { dist, wasm, files } = await runInChromium("vite");
  const html = await readFile(join(dist, "index.html"), "utf8");
  assert.match(html, /assets\/index-[\w-]+\.js/, "Vite bundled the app");
  assert.match(wasm, /^\/assets\/canvas_oauth_bg-[\w-]+\.wasm$/, "Vite emitted the wasm as a hashed asset");
  assert.ok(files.includes(wasm.slice(1)));
});

test("the webpack 5 build of examples/webpack runs in Chromium", { timeout: 30_000 }, async () => {
  const { dist, wasm, files } = await runInChromium("webpack");
  assert.match(wasm, /^\/[0-9a-f]{16,}\.wasm$/, "webpack emitted the wasm as an asset module, with no wasm config");
  assert.ok(files.includes(wasm.slice(1)));
  const bundle = await readFile(join(dist, "main.js"), "utf8");
  assert.doesNotMatch(bundle, /from\s*["']canvas-oauth["']/, "the package is bundled, not imported");
});

test("the esbuild build of examples/esbuild runs in Chromium", { timeout: 30_000 }, async () => {
  const { dist, wasm } = await runInChromium("esbuild");
  assert.equal(wasm, "/canvas_oauth_bg.wasm", "the glue's default URL, next to the bundle");
  const bundle = await readFile(join(dist, "main.js"), "utf8");
  assert.doesNotMatch(bundle, /from\s*["']canvas-oauth["']/, "the package is bundled, not imported");
});

test("the three builds of examples/ bundle the same entry", async () => {
  const entry = (name) => readFile(fileURLToPath(new URL(`../../examples/${name}/src/main.js`, import.meta.url)), "utf8");
  const vite = await entry("vite");
  assert.equal(await entry("webpack"), vite);
  assert.equal(await entry("esbuild"), vite);
});
