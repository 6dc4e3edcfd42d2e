// Prints the package's transfer size: the wasm (after wasm-opt -Oz) plus the JS glue minified
// by esbuild, each gzip -9. Run `npm run build` first. Used by BENCHMARKS.md.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { buildSync } from "esbuild";

const pkg = new URL("../pkg/", import.meta.url);
if (!existsSync(new URL("canvas_oauth_bg.wasm", pkg))) {
  console.error("pkg/ is not built: run `npm run build` first");
  process.exit(1);
}
const wasm = readFileSync(new URL("canvas_oauth_bg.wasm", pkg));
const js = buildSync({
  entryPoints: [new URL("canvas_oauth.js", pkg).pathname],
  bundle: true, minify: true, format: "esm", write: false, platform: "browser",
}).outputFiles[0].contents;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const rows = [
  ["wasm (wasm-opt -Oz)", wasm.length, gz(wasm)],
  ["JS glue (esbuild --minify)", js.length, gz(js)],
];
rows.push(["total", rows[0][1] + rows[1][1], rows[0][2] + rows[1][2]]);
console.log("part".padEnd(28), "raw B".padStart(8), "gzip -9 B".padStart(10));
for (const [name, raw, gzip] of rows) console.log(name.padEnd(28), String(raw).padStart(8), String(gzip).padStart(10));

// `--budget N`: fail when the total gzip size is over N bytes (a byte count, not a timing).
const at = process.argv.indexOf("--budget");
if (at > 0) {
  const budget = Number(process.argv[at + 1]);
  if (!Number.isInteger(budget) || budget <= 0) {
    console.error("--budget needs a positive whole number of bytes");
    process.exit(2);
  }
  const total = rows[2][2];
  if (total > budget) {
    console.error(`package is ${total} B gzip: over the ${budget} B budget by ${total - budget} B`);
    process.exit(1);
  }
  console.log(`within the ${budget} B budget (${budget - total} B to spare)`);
}
