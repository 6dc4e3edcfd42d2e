#!/usr/bin/env bash
# Installs what the build and tests need on a fresh machine (Rust toolchain, Node 20 and apt
# assumed). Each step is skipped when already done, so it is cheap to run every time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[setup] %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The lint gates of npm test.
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding the $component component"
    rustup component add "$component"
  fi
done

# shellcheck source=wasm-toolchain.sh
. scripts/wasm-toolchain.sh
if ! rustup run "$WASM_NIGHTLY" rustc --version >/dev/null 2>&1 \
  || ! rustup component list --toolchain "$WASM_NIGHTLY" --installed | grep -q '^rust-src' \
  || ! rustup target list --toolchain "$WASM_NIGHTLY" --installed | grep -qx wasm32-unknown-unknown; then
  log "installing $WASM_NIGHTLY with rust-src (the release wasm rebuilds std)"
  rustup toolchain install "$WASM_NIGHTLY" --profile minimal --component rust-src --target wasm32-unknown-unknown
fi

# The relay binary's jemalloc is built from C by tikv-jemalloc-sys (make and a C compiler).
if ! command -v make >/dev/null || ! command -v cc >/dev/null; then
  log "installing make and gcc from apt (jemalloc for the relay binary)"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq make gcc >/dev/null
fi

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing Chromium and ChromeDriver from apt"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# TLS in front of the relay for the embedded (cross-site iframe) end-to-end tests, openssl for their
# certificate made at run time (scripts/e2e.sh); a real Redis and nginx for the replica tests
# (relay/tests/replicas.rs) and the bench's 3-replica run.
if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null || ! command -v redis-server >/dev/null; then
  log "installing nginx-light, openssl and redis-server from apt"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nginx-light openssl redis-server >/dev/null
fi

# The second browser engine: Firefox ESR from apt, geckodriver built from crates.io.
if ! command -v firefox-esr >/dev/null; then
  log "installing Firefox ESR from apt"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq firefox-esr >/dev/null
fi
if ! command -v geckodriver >/dev/null; then
  log "installing geckodriver; this takes a few minutes"
  cargo install geckodriver --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly (pinned in Cargo.toml).
want=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  log "installing wasm-bindgen-cli $want (was: ${have:-none}); this takes a few minutes"
  cargo install wasm-bindgen-cli --version "$want" --force
fi
if ! command -v cargo-deny >/dev/null; then
  log "installing cargo-deny; this takes a few minutes"
  cargo install cargo-deny --locked
fi
if ! command -v wasm-pack >/dev/null; then
  log "installing wasm-pack; this takes a few minutes"
  cargo install wasm-pack
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dev dependencies"
  npm ci --no-audit --no-fund
fi
log "ready"
