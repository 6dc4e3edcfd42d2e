// Browser speed: canvas-oauth against oauth4webapi in one headless Chromium (Debian's, driven by
// playwright-core), pages served by a tiny node http server on 127.0.0.1. Interleaved runs, medians.
//   (a) starting a sign-in, ops/s: auth.authorizeUrl() vs generateRandomState + generateRandomCodeVerifier
//       + calculatePKCECodeChallenge + URL/URLSearchParams + sessionStorage.setItem
//   (b) validating a callback, ops/s: parseCallback(url) vs validateAuthResponse
//   (c) module init, ms: import() + await init() vs import() of bundled oauth4webapi, fresh page each;
//       also with the wasm's fetch started beside the import (c′), and, as an experiment not
//       shipped, with the wasm inside the JS module as base64 (c″): one request instead of two;
//       and the harness's own cost: a fresh page importing a one-line module
//
//   node bench/browser.mjs [--rounds N] [--batch-ms MS] [--init-samples N] [--json FILE]
// Run `npm run build` first. Bounded: about 2 × 2 × rounds × batch-ms + init-samples × 5 × ~0.2 s.
import { createServer } from "node:http";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { buildSync } from "esbuild";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";

const root = new URL("../", import.meta.url).pathname;
const here = new URL("./", import.meta.url).pathname;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const BUILD = { bundle: true, minify: true, format: "esm", write: false, platform: "browser", target: "es2022", logLevel: "silent" };
const bundle = (entry) => buildSync({ ...BUILD, entryPoints: [entry] }).outputFiles[0].contents;

// The experiment (c″): the glue and the wasm in one module, the wasm as a base64 string.
function embedded() {
  const wasm = readFileSync(`${root}pkg/canvas_oauth_bg.wasm`).toString("base64");
  const contents = `export * from "./canvas_oauth.js"; export { default } from "./canvas_oauth.js"; export const wasmBase64 = "${wasm}";`;
  return buildSync({ ...BUILD, stdin: { contents, resolveDir: `${root}pkg`, loader: "js" } }).outputFiles[0].contents;
}

function startServer() {
  if (!existsSync(`${root}pkg/canvas_oauth_bg.wasm`)) throw new Error("pkg/ is not built: run `npm run build` first");
  const files = {
    "/bench.html": [readFileSync(`${here}pages/bench.html`), "text/html"],
    "/init.html": [readFileSync(`${here}pages/init.html`), "text/html"],
    "/ours.js": [bundle(`${root}pkg/canvas_oauth.js`), "text/javascript"],
    "/ours.wasm": [readFileSync(`${root}pkg/canvas_oauth_bg.wasm`), "application/wasm"],
    "/o4w.js": [bundle(`${here}entries/oauth4webapi-browser.js`), "text/javascript"],
    "/ours-embedded.js": [embedded(), "text/javascript"],
    "/empty.js": [Buffer.from("export const generateRandomState = () => \"x\".repeat(43);"), "text/javascript"],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url, "http://x").pathname];
    if (!file) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": file[1], "cache-control": "no-store", "content-length": file[0].length });
    res.end(file[0]);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}`, files })));
}

export async function measureBrowser({ rounds = 11, batchMs = 250, initSamples = 25 } = {}) {
  const { server, origin, files } = await startServer();
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
    timeout: 30_000,
  });
  const killer = setTimeout(() => { console.error("browser benchmark took over 5 minutes: stopping"); process.exit(2); }, 300_000);
  try {
    const version = browser.version();
    const page = await browser.newPage();
    await page.goto(`${origin}/bench.html`);
    await page.waitForFunction(() => window.ready === true);
    const sanity = await page.evaluate(() => window.setup());
    // Warm-up: JIT both sides before measuring.
    for (const name of ["start/ours", "start/oauth4webapi", "start/ours-empty", "callback/ours", "callback/oauth4webapi"]) {
      await page.evaluate(([n, ms]) => window.runCase(n, ms), [name, 300]);
    }
    const samples = {};
    for (let r = 0; r < rounds; r++) {
      for (const bench of ["start", "callback"]) {
        const order = r % 2 ? ["oauth4webapi", "ours"] : ["ours", "oauth4webapi"];
        for (const who of order) {
          const name = `${bench}/${who}`;
          (samples[name] ??= []).push(await page.evaluate(([n, ms]) => window.runCase(n, ms), [name, batchMs]));
        }
        if (bench === "start") {
          const name = "start/ours-empty";
          (samples[name] ??= []).push(await page.evaluate(([n, ms]) => window.runCase(n, ms), [name, batchMs]));
          await page.evaluate(() => sessionStorage.clear());
        }
      }
    }
    await page.close();

    // Module init: a fresh context and page per sample, interleaved.
    const init = { ours: [], oauth4webapi: [], oursPreload: [], oursEmbedded: [], empty: [] };
    const page_of = { ours: "ours", oauth4webapi: "o4w", oursPreload: "ours-preload", oursEmbedded: "ours-embedded", empty: "empty" };
    for (let i = 0; i < initSamples; i++) {
      const order = ["ours", "oursPreload", "oursEmbedded", "empty", "oauth4webapi"];
      if (i % 2) order.reverse();
      for (const who of order) {
        const context = await browser.newContext();
        const p = await context.newPage();
        await p.goto(`${origin}/init.html?which=${page_of[who]}&n=${i}`);
        await p.waitForFunction(() => window.ready === true);
        init[who].push(await p.evaluate(() => window.measure()));
        await context.close();
      }
    }
    // Ours step by step (informational), fresh pages too.
    const phaseSamples = [];
    for (let i = 0; i < Math.min(11, initSamples); i++) {
      const context = await browser.newContext();
      const p = await context.newPage();
      await p.goto(`${origin}/init.html?which=ours&n=p${i}`);
      await p.waitForFunction(() => window.ready === true);
      phaseSamples.push(await p.evaluate(() => window.phases()));
      await context.close();
    }
    const phases = Object.fromEntries(Object.keys(phaseSamples[0]).map((k) => [k, median(phaseSamples.map((x) => x[k]))]));
    const gzipKB = (b) => b.length;
    return {
      chromium: version, rounds, batchMs, initSamples, sanity,
      start: { ours: median(samples["start/ours"]), oauth4webapi: median(samples["start/oauth4webapi"]), oursEmpty: median(samples["start/ours-empty"]) },
      callback: { ours: median(samples["callback/ours"]), oauth4webapi: median(samples["callback/oauth4webapi"]) },
      init: {
        ours: median(init.ours), oauth4webapi: median(init.oauth4webapi), oursPreload: median(init.oursPreload),
        oursEmbedded: median(init.oursEmbedded),
        empty: median(init.empty),
        oursFirst: init.ours[0], oauth4webapiFirst: init.oauth4webapi[0],
        phases,
        oursP90: [...init.ours].sort((a, b) => a - b)[Math.floor(0.9 * (init.ours.length - 1))],
      },
      served: { oursJs: gzipKB(files["/ours.js"][0]), oursWasm: gzipKB(files["/ours.wasm"][0]), o4wJs: gzipKB(files["/o4w.js"][0]) },
      embedded: { raw: files["/ours-embedded.js"][0].length, gzip: gzipSync(files["/ours-embedded.js"][0], { level: 9 }).length },
      samples,
    };
  } finally {
    clearTimeout(killer);
    await browser.close();
    server.close();
  }
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");
export function printBrowser(r) {
  console.log(`\n== Browser speed (${r.chromium}, medians of ${r.rounds} interleaved ${r.batchMs} ms batches) ==`);
  console.log("benchmark".padEnd(34), "ours".padStart(12), "oauth4webapi".padStart(13), "ratio".padStart(7), " goal");
  const row = (label, a, b, goal) => console.log(label.padEnd(34), fmt(a).padStart(12), fmt(b).padStart(13), `${(a / b).toFixed(2)}×`.padStart(7), ` ${goal}`);
  row("(a) start a sign-in, ops/s", r.start.ours, r.start.oauth4webapi, r.start.ours >= 2 * r.start.oauth4webapi ? ">= 2×: met" : ">= 2×: not met");
  console.log(`  (a) ours with no pending flows to prune (sessionStorage cleared after each call): ${fmt(r.start.oursEmpty)} ops/s`);
  row("(b) validate a callback, ops/s", r.callback.ours, r.callback.oauth4webapi, r.callback.ours >= 2 * r.callback.oauth4webapi ? ">= 2×: met" : ">= 2×: not met");
  console.log("(c) module init, median ms".padEnd(34), r.init.ours.toFixed(2).padStart(12), r.init.oauth4webapi.toFixed(2).padStart(13),
    `${(r.init.ours / r.init.oauth4webapi).toFixed(2)}×`.padStart(7), ` <= 10 ms: ${r.init.ours <= 10 ? "met" : "not met"}`);
  console.log("(c′) init, wasm fetched with the import".padEnd(34), r.init.oursPreload.toFixed(2).padStart(12), r.init.oauth4webapi.toFixed(2).padStart(13),
    `${(r.init.oursPreload / r.init.oauth4webapi).toFixed(2)}×`.padStart(7), " (the npm README's <link rel=preload>)");
  console.log("(c″) init, wasm inside the JS".padEnd(34), r.init.oursEmbedded.toFixed(2).padStart(12), r.init.oauth4webapi.toFixed(2).padStart(13),
    `${(r.init.oursEmbedded / r.init.oauth4webapi).toFixed(2)}×`.padStart(7), ` (experiment, not shipped: one module of ${fmt(r.embedded.gzip)} B gzip)`);
  console.log(`  a one-line module (the harness's fixed cost of a fresh page's import): ${r.init.empty.toFixed(2)} ms`);
  console.log(`  init: ${r.initSamples} fresh pages each; p90 ours ${r.init.oursP90.toFixed(2)} ms; first sample ours ${r.init.oursFirst.toFixed(2)} ms, oauth4webapi ${r.init.oauth4webapiFirst.toFixed(2)} ms`);
  const ph = r.init.phases;
  console.log(`  ours step by step (medians): import glue ${ph.importGlue.toFixed(2)} ms, fetch wasm ${ph.fetchWasm.toFixed(2)} ms, compile ${ph.compile.toFixed(2)} ms, instantiate ${ph.instantiate.toFixed(2)} ms`);
  console.log(`  served (raw, no-store): ours ${fmt(r.served.oursJs)} B JS + ${fmt(r.served.oursWasm)} B wasm; oauth4webapi ${fmt(r.served.o4wJs)} B JS`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await measureBrowser({ rounds: arg("--rounds", 11), batchMs: arg("--batch-ms", 250), initSamples: arg("--init-samples", 25) });
  printBrowser(r);
  const i = process.argv.indexOf("--json");
  if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify(r, null, 2));
}
