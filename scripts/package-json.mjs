// Completes the package.json that wasm-pack writes into pkg/, and replaces the repository README that
// wasm-pack copies there with the package's own (docs/npm-readme.md, written for SPA developers), and
// ships the license texts (MIT OR Apache-2.0: both files, from the repository root; wasm-pack copies
// LICENSE* too, but the package must not depend on that).
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const path = new URL("../pkg/package.json", import.meta.url);
const pkg = JSON.parse(readFileSync(path, "utf8"));
pkg.sideEffects = false;
pkg.keywords = ["canvas", "canvas-lms", "oauth2", "pkce", "webassembly", "lti"];
pkg.exports = { ".": { types: "./canvas_oauth.d.ts", default: "./canvas_oauth.js" }, "./canvas_oauth_bg.wasm": "./canvas_oauth_bg.wasm" };
const LICENSES = ["LICENSE-MIT", "LICENSE-APACHE"];
pkg.files = [...new Set([...(pkg.files ?? []), "README.md", ...LICENSES])];
for (const key of ["name", "version", "description", "license", "repository", "types"]) {
  if (!pkg[key]) throw new Error(`pkg/package.json lacks ${key}`);
}
writeFileSync(path, JSON.stringify(pkg, null, 2) + "\n");
copyFileSync(new URL("../docs/npm-readme.md", import.meta.url), new URL("../pkg/README.md", import.meta.url));
for (const name of LICENSES) copyFileSync(new URL(`../${name}`, import.meta.url), new URL(`../pkg/${name}`, import.meta.url));
