// No wasm configuration: webpack 5 emits `new URL("canvas_oauth_bg.wasm", import.meta.url)` in the
// package's glue as an asset and rewrites the URL. Only the entry, the output and the page.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = new URL("dist/", import.meta.url);
export default {
  mode: "production",
  context: fileURLToPath(new URL(".", import.meta.url)),
  entry: "./src/main.js",
  output: { path: fileURLToPath(dist), filename: "main.js", clean: true },
  plugins: [
    // The static page, copied as is (saves a dependency on html-webpack-plugin).
    { apply: (compiler) => compiler.hooks.afterEmit.tap("copy-index-html", () => {
      mkdirSync(dist, { recursive: true });
      copyFileSync(new URL("index.html", import.meta.url), new URL("index.html", dist));
    }) },
  ],
};
