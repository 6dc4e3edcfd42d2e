#!/usr/bin/env bash
# Builds the npm package into pkg/: wasm-pack on the pinned nightly with std rebuilt
# (-Zbuild-std, panic=immediate-abort; opt-level z, LTO), then wasm-opt -Oz from
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
# RUSTFLAGS replaces .cargo/config.toml's target rustflags, so the getrandom backend is repeated.
# -Zfmt-debug=none and -Zlocation-detail=none: no Debug output or panic locations in the release
# wasm (nothing there prints Debug; panics abort without a message anyway).
# Its own target dir keeps the stable builds (cargo test, wasm-pack test) from being invalidated.
# The CARGO_PROFILE_RELEASE_* variables make Cargo.toml's release profile (the servers': speed,
# unwinding) one for size here: opt-level z, LTO, one codegen unit, panic=abort.
CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=true CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_PROFILE_RELEASE_PANIC=abort \
  RUSTUP_TOOLCHAIN="$WASM_NIGHTLY" CARGO_TARGET_DIR=target/wasm-release \
  RUSTFLAGS='--cfg getrandom_backend="wasm_js" -Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none' \
  wasm-pack --quiet build --target web --release --out-dir pkg . -Zbuild-std=std,panic_abort >/dev/null
wasm=pkg/canvas_oauth_bg.wasm
# --low-memory-unused: rustc's wasm32 layout puts the stack first, growing down from 1 MiB, and the
# data above it, so the low 1 KiB is never addressed through a wrapped pointer + offset; binaryen may
# then fold constant offsets into loads/stores. --flatten --rereloop rebuilds the control flow before
# -Oz; --merge-similar-functions folds near-duplicate monomorphisations; --converge repeats -Oz until
# nothing shrinks (BENCHMARKS.md, "Size techniques").
node_modules/.bin/wasm-opt --low-memory-unused --flatten --rereloop --merge-similar-functions -Oz --converge \
  --strip-debug --strip-producers --strip-target-features "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
# Short import names: wasm-bindgen's hashed ones do not compress (scripts/short-imports.mjs).
node scripts/short-imports.mjs "$wasm" pkg/canvas_oauth.js >/dev/null
node scripts/package-json.mjs
echo "built pkg/ ($(wc -c < "$wasm") bytes of wasm)"
