#!/usr/bin/env bash
# Builds the floor (bench/floor: core's decisions alone, one export each) exactly as
# scripts/build-pkg.sh builds the package: the same nightly, flags, wasm-opt passes and short
# import names; into target/floor/ (canvas_oauth_floor.js + canvas_oauth_floor_bg.wasm), which
# bench/size.mjs measures.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$HOME/.cargo/bin:$PATH"
. scripts/wasm-toolchain.sh
env "${WASM_SIZE_ENV[@]}" CARGO_TARGET_DIR=target/wasm-floor \
  cargo build --quiet --release -p canvas-oauth-floor --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort
rm -rf target/floor
wasm-bindgen --target web --out-dir target/floor target/wasm-floor/wasm32-unknown-unknown/release/canvas_oauth_floor.wasm
wasm=target/floor/canvas_oauth_floor_bg.wasm
node_modules/.bin/wasm-opt "${WASM_OPT_SIZE[@]}" "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
node scripts/short-imports.mjs "$wasm" target/floor/canvas_oauth_floor.js >/dev/null
