#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack (release: opt-level z, LTO), then wasm-opt -Oz
# from the npm `binaryen` package (wasm-pack cannot download its own here), then package.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack --quiet build --target web --release --out-dir pkg >/dev/null
wasm=pkg/canvas_oauth_bg.wasm
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers --strip-target-features "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
node scripts/package-json.mjs
echo "built pkg/ ($(wc -c < "$wasm") bytes of wasm)"
