// The esbuild build of the example. esbuild bundles the glue but leaves its
// `new URL("canvas_oauth_bg.wasm", import.meta.url)` as it is (it does not treat it as an asset), so
// the one extra step is to copy the .wasm next to the bundle, where that URL points. ESM output keeps
// `import.meta.url` (and allows the entry's top-level await).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const dist = new URL("dist/", import.meta.url);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
await build({
  entryPoints: [new URL("src/main.js", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  minify: true,
  outdir: dist.pathname,
  logLevel: "warning",
});
copyFileSync(new URL(import.meta.resolve("canvas-oauth/canvas_oauth_bg.wasm")), new URL("canvas_oauth_bg.wasm", dist));
copyFileSync(new URL("index.html", import.meta.url), new URL("index.html", dist));
