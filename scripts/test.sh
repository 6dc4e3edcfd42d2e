#!/usr/bin/env bash
# The test command (`npm test`): installs what is missing, then runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n==> %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "Rust tests: core (unit + property), relay, stand-in"
cargo test --workspace --all-features

step "build the npm package"
bash scripts/build-pkg.sh

step "package tests (Node, release build)"
node --test tests/node/

step "browser tests (headless Chromium)"
wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)"

step "all suites passed"
