#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack on the pinned nightly with std rebuilt
# (-Zbuild-std, panic=immediate-abort; opt-level z, LTO: scripts/wasm-toolchain.sh), then wasm-opt from
# the npm `binaryen` package (wasm-pack cannot download its own here), short import names
# (scripts/short-imports.mjs), then package.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. scripts/wasm-toolchain.sh
if ! rustup run "$WASM_NIGHTLY" rustc --version >/dev/null 2>&1; then
  echo "build-pkg: the toolchain $WASM_NIGHTLY is missing: run 'npm run setup'" >&2
  exit 1
fi
# wasm-pack overwrites pkg/'s files but leaves the snippets/ files of an earlier build, which
# `npm pack` would then ship (tests/node/pack.test.mjs).
rm -rf pkg/snippets
# Its own target dir keeps the stable builds (cargo test, wasm-pack test) from being invalidated.
env "${WASM_SIZE_ENV[@]}" CARGO_TARGET_DIR=target/wasm-release \
  wasm-pack --quiet build --target web --release --out-dir pkg . -Zbuild-std=std,panic_abort >/dev/null
wasm=pkg/canvas_oauth_bg.wasm
node_modules/.bin/wasm-opt "${WASM_OPT_SIZE[@]}" "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
# Short import names: wasm-bindgen's hashed ones do not compress (scripts/short-imports.mjs).
node scripts/short-imports.mjs "$wasm" pkg/canvas_oauth.js >/dev/null
node scripts/package-json.mjs
echo "built pkg/ ($(wc -c < "$wasm") bytes of wasm)"
