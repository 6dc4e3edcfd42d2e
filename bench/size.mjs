// Size: our package (wasm after wasm-opt -Oz + esbuild-minified JS glue, gzip -9, the same
// computation as scripts/size.mjs) against the same authorization-code flow written with other
// libraries (bench/entries/*.js, each `esbuild --bundle --minify --format=esm`, gzip -9).
// Then where our bytes go: twiggy on a names-preserving build of the same wasm.
//
//   node bench/size.mjs [--json FILE]     (run `npm run build` first; needs twiggy for the breakdown,
//                                        and bench/floor/build.sh for the floor)
import { readFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { buildSync } from "esbuild";

const root = new URL("../", import.meta.url).pathname;
const here = new URL("./", import.meta.url).pathname;
const GOAL = 17_667;
const STRETCH = 10_797;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const bundle = (entry) =>
  buildSync({
    entryPoints: [entry], bundle: true, minify: true, format: "esm", write: false, platform: "browser",
    target: "es2022", logLevel: "silent",
  }).outputFiles[0].contents;

export function measureSize() {
  const pkgWasm = `${root}pkg/canvas_oauth_bg.wasm`;
  if (!existsSync(pkgWasm)) throw new Error("pkg/ is not built: run `npm run build` first");
  const wasm = readFileSync(pkgWasm);
  const glue = bundle(`${root}pkg/canvas_oauth.js`);
  const ours = { name: "canvas-oauth (wasm + JS glue)", raw: wasm.length + glue.length, gzip: gz(wasm) + gz(glue),
    parts: { wasm: { raw: wasm.length, gzip: gz(wasm) }, glue: { raw: glue.length, gzip: gz(glue) } } };
  const others = [
    ["oauth4webapi", "oauth4webapi.js"],
    ["oidc-client-ts OidcClient", "oidc-client.js"],
    ["oidc-client-ts UserManager", "oidc-usermanager.js"],
    ["@badgateway/oauth2-client", "badgateway.js"],
  ].map(([name, file]) => {
    const js = bundle(`${here}entries/${file}`);
    return { name, entry: `bench/entries/${file}`, raw: js.length, gzip: gz(js) };
  });
  return { ours, others, goal: GOAL, stretch: STRETCH, breakdown: breakdown(), floor: floor() };
}

// The floor: core's decisions alone, one wasm export each (bench/floor, built by
// bench/floor/build.sh exactly like the package), measured like the package.
function floor() {
  const dir = `${root}target/floor`;
  if (!existsSync(`${dir}/canvas_oauth_floor_bg.wasm`)) return null;
  const wasm = gz(readFileSync(`${dir}/canvas_oauth_floor_bg.wasm`));
  const glue = gz(bundle(`${dir}/canvas_oauth_floor.js`));
  return { wasm, glue, gzip: wasm + glue };
}

// Groups for the twiggy breakdown, first match wins (on the demangled name).
const GROUPS = [
  ["data (.rodata, strings, tables)", /^data segment|^"data/],
  ["futures / async (wasm-bindgen-futures, Promise glue)", /futures|future_to_promise|Future|::poll|Waker|RawWaker|task::|JsFuture|spawn_local|queue/],
  ["allocator (talc, realloc)", /talc|dlmalloc|__rdl_|__rust_alloc|__rust_dealloc|__rust_realloc|alloc::raw_vec|alloc::alloc::|__wbindgen_malloc|__wbindgen_realloc|__wbindgen_free|memcpy|memmove|memset|memcmp/],
  ["core::fmt (formatting, Debug/Display)", /core(\[[0-9a-f]+\])?::fmt|alloc(\[[0-9a-f]+\])?::fmt|as core.*::fmt::(Debug|Display|Write)|pad_integral|::fmt::h|count_chars|to_string/],
  ["panics / bounds checks / str errors", /panic|slice_error_fail|slice_(start|end)_index|index_len_fail|unwrap_failed|expect_failed|from_utf8|str::converts/],
  ["our code: canvas_oauth (src/)", /^<?canvas_oauth(::|\[)/],
  ["our code: canvas_oauth_core (core/)", /canvas_oauth_core/],
  ["our exports (bodies inlined into wasm-bindgen shims)", /(externref shim|multivalue shim)$|^__wbg_(canvasauth|pages)_free/],
  ["sha2 (PKCE SHA-256) + getrandom", /sha2|getrandom|compress256/],
  ["wasm-bindgen / js-sys / web-sys glue", /wasm_bindgen|js_sys|web_sys|__wbindgen|__externref|closure|Closure/],
  ["imports / exports / types / tables (wasm structure)", /^(import|export|type|elem|table|global|custom|code|"module|"table|"global)/],
  ["other std / core / alloc", /.*/],
];

function twiggyAvailable() {
  try { execFileSync("twiggy", ["--version"], { stdio: "ignore" }); return true; } catch { return false; }
}

// A names-preserving copy of the packaged wasm: the cargo output that `npm run build` made,
// through wasm-bindgen --keep-debug and wasm-opt -Oz -g (names kept; everything else as pkg/).
function breakdown() {
  const cargoWasm = `${root}target/wasm-release/wasm32-unknown-unknown/release/canvas_oauth.wasm`; // scripts/build-pkg.sh
  if (!existsSync(cargoWasm) || !twiggyAvailable()) return null;
  const out = `${root}target/bench-names`;
  mkdirSync(out, { recursive: true });
  const env = { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
  execFileSync("wasm-bindgen", ["--keep-debug", "--target", "web", "--out-dir", out, cargoWasm], { env });
  const named = `${out}/named.wasm`;
  execFileSync(`${root}node_modules/.bin/wasm-opt`, ["-Oz", "-g", `${out}/canvas_oauth_bg.wasm`, "-o", named], { env });
  const items = JSON.parse(execFileSync("twiggy", ["top", "-n", "100000", "-f", "json", named], { env, maxBuffer: 64 << 20 }));
  const code = items.filter((it) => !/^"(function names|name)"|^custom section '(name|producers|target_features)'/.test(it.name)
    && !/"function names" subsection|"local names"|"module name"/.test(it.name));
  const namesBytes = items.filter((it) => !code.includes(it)).reduce((s, it) => s + it.shallow_size, 0);
  const total = code.reduce((s, it) => s + it.shallow_size, 0);
  const groups = new Map(GROUPS.map(([name]) => [name, { bytes: 0, items: 0 }]));
  for (const it of code) {
    const [name] = GROUPS.find(([, re]) => re.test(it.name));
    const g = groups.get(name);
    g.bytes += it.shallow_size;
    g.items += 1;
  }
  return {
    total, namesBytes,
    top: code.slice(0, 25).map((it) => ({ name: it.name.replace(/\[[0-9a-f]{16}\]/g, "").replace(/::h[0-9a-f]{16}$/, ""), bytes: it.shallow_size })),
    groups: [...groups].map(([name, g]) => ({ name, ...g })).filter((g) => g.items).sort((a, b) => b.bytes - a.bytes),
  };
}

const pad = (s, n) => String(s).padEnd(n);
const num = (n) => n.toLocaleString("en-US");
export function printSize(r) {
  console.log("\n== Size (gzip -9) ==");
  console.log(pad("package", 34), "raw B".padStart(9), "gzip B".padStart(9), "ours / it".padStart(10));
  for (const row of [r.ours, ...r.others]) {
    console.log(pad(row.name, 34), num(row.raw).padStart(9), num(row.gzip).padStart(9),
      (r.ours.gzip / row.gzip).toFixed(2).padStart(10));
  }
  console.log(`  ours: wasm ${num(r.ours.parts.wasm.gzip)} B + JS glue ${num(r.ours.parts.glue.gzip)} B gzip`);
  console.log(`  goal <= ${num(r.goal)} B: ${r.ours.gzip <= r.goal ? "met" : "not met"}; stretch <= ${num(r.stretch)} B: ${r.ours.gzip <= r.stretch ? "met" : "not met"}`);
  if (r.floor) {
    console.log(`  floor (bench/floor: core's decisions alone, no driver): ${num(r.floor.gzip)} B = wasm ${num(r.floor.wasm)} + glue ${num(r.floor.glue)} B gzip`);
  }
  const b = r.breakdown;
  if (!b) { console.log("  (no twiggy breakdown: twiggy or the cargo wasm output is missing)"); return; }
  console.log(`\n-- where the wasm bytes go (twiggy, uncompressed, ${num(b.total)} B without the ${num(b.namesBytes)} B name section) --`);
  for (const g of b.groups) console.log(pad(g.name, 56), num(g.bytes).padStart(7), `${(100 * g.bytes / b.total).toFixed(1)}%`.padStart(6), `${g.items} items`.padStart(10));
  console.log("\n-- top items --");
  for (const it of b.top) console.log(num(it.bytes).padStart(7), " ", it.name.slice(0, 110));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = measureSize();
  printSize(r);
  const i = process.argv.indexOf("--json");
  if (i > 0) writeFileSync(process.argv[i + 1], JSON.stringify(r, null, 2));
}
