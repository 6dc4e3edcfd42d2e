// The bundler check: examples/vite, built by scripts/e2e.sh with `vite build`, loads in Chromium:
// the wasm is found through Vite's asset handling, createState() runs, CanvasAuth constructs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";

const dist = fileURLToPath(new URL("../../examples/vite/dist/", import.meta.url));
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
let server;
let chromium;
let origin;

before(async () => {
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dist, path.endsWith("/") ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  chromium = await launch();
});
after(async () => {
  await chromium?.close();
  server?.close();
});

test("the Vite build of examples/vite runs in Chromium", { timeout: 30_000 }, async () => {
  const page = await chromium.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 15_000 });
  const result = await page.evaluate(() => window.result);
  assert.deepEqual(result, { ok: true, stateLength: 43, authorizeHost: "canvas.example.edu", session: null });
  assert.deepEqual(errors, []);
  const html = await readFile(join(dist, "index.html"), "utf8");
  assert.match(html, /assets\/index-[\w-]+\.js/, "Vite bundled the app");
});
