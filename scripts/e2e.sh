#!/usr/bin/env bash
# End-to-end tests (`npm test` runs this last): the demo page in Debian's Chromium, driven by
# playwright-core under `node --test`, against the stand-in Canvas and the relay on 127.0.0.1.
# Also builds examples/vite, examples/webpack and examples/esbuild (the bundler checks) and smoke-tests
# each bundle in Chromium, and builds examples/react, served by a relay of its own.
#   E2E_STANDIN_PORT (17200)  E2E_PORT (17201, relay + www + pkg)  E2E_REACT_PORT (17202, relay +
#   examples/react)  E2E_TTL (access tokens, 5 s)
#   E2E_TLS_PORT (17300, nginx: https for app.test and canvas.test)  E2E_EMBEDDED_PORT (17301, its relay)
# Ports sit below Linux's ephemeral range (32768-60999), like scripts/with-servers.sh.
# Extra arguments go to `node --test` (e.g. --test-name-pattern=tabs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
STANDIN_PORT=${E2E_STANDIN_PORT:-17200}
PORT=${E2E_PORT:-17201}
ORIGIN="http://127.0.0.1:$PORT"
REACT_PORT=${E2E_REACT_PORT:-17202}
REACT_ORIGIN="http://127.0.0.1:$REACT_PORT"
TLS_PORT=${E2E_TLS_PORT:-17300}
EMBEDDED_PORT=${E2E_EMBEDDED_PORT:-17301}
APP="https://app.test:$TLS_PORT"
dir=target/e2e
mkdir -p "$dir/config"

[ -f pkg/canvas_oauth_bg.wasm ] || bash scripts/build-pkg.sh
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
cargo build --quiet -p canvas-standin --bin canvas-standin
cargo build --quiet -p canvas-oauth-relay --bin canvas-oauth-relay --features test-hooks
bin=${CARGO_TARGET_DIR:-target}/debug

# The bundler checks: the same example through Vite, webpack 5 and esbuild (tests/e2e/bundlers.test.mjs).
# node_modules/canvas-oauth is a symlink to pkg/ (a file: dependency), so it is always the fresh build.
# The install is skipped while node_modules is newer than the lock.
# Vite: `npm install`, not `npm ci`: Vite lists a Windows-only optional package that this registry does
# not serve, so it is not in the lock, and `npm ci` refuses such a lock. The lock still pins versions.
# webpack and esbuild: `npm ci` (their locks are complete, esbuild's 26 platform packages included).
build_example() {
  local name=$1 install=$2; shift 2
  echo "[e2e] bundler check: examples/$name"
  (cd "examples/$name" && { { [ -d node_modules/canvas-oauth ] && [ node_modules/.package-lock.json -nt package-lock.json ]; } \
    || npm "$install" --no-audit --no-fund; } && "$@")
}
build_example vite install npx vite build --logLevel warn
build_example webpack ci node build.mjs
build_example esbuild ci node build.mjs
# React (tests/e2e/react.test.mjs): a development build, the only kind in which <React.StrictMode> runs
# effects twice, which the test needs. `npm install` for the same reason as Vite. The app's Canvas
# settings are Vite env variables, inlined at build time; its relay is on its own origin.
VITE_CANVAS_URL="http://127.0.0.1:$STANDIN_PORT" VITE_CANVAS_CLIENT_ID=10000000000001 \
  build_example react install npx vite build --mode development --logLevel warn

source scripts/servers.sh
trap stop_servers EXIT

# The default seed, plus the redirect URIs of the demo, the React example and the embedded app on the
# demo's developer key.
"$bin"/canvas-standin --print-seed | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const seed = JSON.parse(s);
  seed.developer_keys.find((k) => String(k.id) === "10000000000001").redirect_uris.push(...process.argv.slice(1));
  process.stdout.write(JSON.stringify(seed));
});' "$ORIGIN/" "$REACT_ORIGIN/" "$APP/" >"$dir/seed.json"

cat >"$dir/config/config.js" <<CONFIG
export default {
  canvasUrl: "http://127.0.0.1:$STANDIN_PORT",
  clientId: "10000000000001",
  redirectUri: "$ORIGIN/",
  relayUrl: "/",
  refreshMarginSeconds: 1,
  timeoutMs: 10000,
  autoRefresh: false,
  demoLogin: "student@example.edu / password",
};
CONFIG

start_server "$dir/standin.log" "$bin"/canvas-standin --listen "127.0.0.1:$STANDIN_PORT" --seed "$dir/seed.json" \
  --test-hooks --access-token-ttl "${E2E_TTL:-5}"

start_server "$dir/relay.log" env \
  CANVAS_URL="http://127.0.0.1:$STANDIN_PORT" CANVAS_CLIENT_ID=10000000000001 CANVAS_CLIENT_SECRET=standin-secret-web \
  CANVAS_REDIRECT_URI="$ORIGIN/" RELAY_ALLOWED_ORIGINS="$ORIGIN" RELAY_LISTEN="127.0.0.1:$PORT" \
  RELAY_COOKIE_KEYS="$(random_cookie_key)" RELAY_RATE_LIMIT_PER_MINUTE=100000 RELAY_SESSION_URL=1 \
  RELAY_API_ALLOW="GET:/api/v1/ POST:/api/graphql" RELAY_STATIC_DIR=www RELAY_STATIC_MOUNTS="/pkg=pkg,/config=$dir/config" \
  "$bin"/canvas-oauth-relay

# The React example's relay: the same developer key, its own redirect URI, counters and cookie.
start_server "$dir/relay-react.log" env \
  CANVAS_URL="http://127.0.0.1:$STANDIN_PORT" CANVAS_CLIENT_ID=10000000000001 CANVAS_CLIENT_SECRET=standin-secret-web \
  CANVAS_REDIRECT_URI="$REACT_ORIGIN/" RELAY_ALLOWED_ORIGINS="$REACT_ORIGIN" RELAY_LISTEN="127.0.0.1:$REACT_PORT" \
  RELAY_COOKIE_KEYS="$(random_cookie_key)" RELAY_RATE_LIMIT_PER_MINUTE=100000 RELAY_STATIC_DIR=examples/react/dist \
  "$bin"/canvas-oauth-relay

# The embedded setup (tests/e2e/embedded.test.mjs): the app on https://app.test:$TLS_PORT inside a
# "Canvas course page" on https://canvas.test:$TLS_PORT, another site (Chromium maps both names to
# 127.0.0.1). Partitioned and SameSite=None cookies need https: nginx terminates TLS with a
# certificate made here, for this run only, in front of a second relay in RELAY_COOKIE_MODE=embedded.
# nginx rather than TLS in the relay: the relay stays plain http behind a proxy, as it is deployed.
tls="$dir/tls"
mkdir -p "$tls" "$dir/config-embedded" "$dir/nginx"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=app.test" \
  -addext "subjectAltName=DNS:app.test,DNS:canvas.test" -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
# Chromium trusts exactly this key (--ignore-certificate-errors-spki-list), nothing else.
E2E_SPKI=$(openssl x509 -in "$tls/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der \
  | openssl dgst -sha256 -binary | base64)
sed -e "s|redirectUri: .*|redirectUri: \"$APP/\",|" "$dir/config/config.js" >"$dir/config-embedded/config.js"
cat >"$dir/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $PWD/$dir/nginx/nginx.pid;
error_log $PWD/$dir/nginx/error.log;
events { worker_connections 256; }
http {
  access_log $PWD/$dir/nginx/access.log;
  client_body_temp_path $PWD/$dir/nginx/body;
  proxy_temp_path $PWD/$dir/nginx/proxy;
  fastcgi_temp_path $PWD/$dir/nginx/fastcgi;
  uwsgi_temp_path $PWD/$dir/nginx/uwsgi;
  scgi_temp_path $PWD/$dir/nginx/scgi;
  server {
    listen 127.0.0.1:$TLS_PORT ssl;
    server_name app.test canvas.test;
    ssl_certificate $PWD/$tls/cert.pem;
    ssl_certificate_key $PWD/$tls/key.pem;
    location / {
      proxy_pass http://127.0.0.1:$EMBEDDED_PORT;
      proxy_set_header Host \$host:$TLS_PORT;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_http_version 1.1;
    }
  }
}
NGINX
start_server "$dir/relay-embedded.log" env \
  CANVAS_URL="http://127.0.0.1:$STANDIN_PORT" CANVAS_CLIENT_ID=10000000000001 CANVAS_CLIENT_SECRET=standin-secret-web \
  CANVAS_REDIRECT_URI="$APP/" RELAY_ALLOWED_ORIGINS="$APP" RELAY_LISTEN="127.0.0.1:$EMBEDDED_PORT" \
  RELAY_PUBLIC_URL="$APP" RELAY_COOKIE_MODE=embedded RELAY_FRAME_ANCESTORS="https://canvas.test:$TLS_PORT" \
  RELAY_COOKIE_KEYS="$(random_cookie_key)" RELAY_RATE_LIMIT_PER_MINUTE=100000 \
  RELAY_STATIC_DIR=www RELAY_STATIC_MOUNTS="/pkg=pkg,/config=$dir/config-embedded" \
  "$bin"/canvas-oauth-relay
nginx -c "$PWD/$dir/nginx/nginx.conf" -e "$PWD/$dir/nginx/error.log" >"$dir/nginx/stdout.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  curl -sk --resolve "app.test:$TLS_PORT:127.0.0.1" -o /dev/null "$APP/health" && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$dir/nginx/error.log" >&2; exit 1; }
  sleep 0.1
done
export E2E_APP="$APP" E2E_COURSE="https://canvas.test:$TLS_PORT" E2E_EMBEDDED_RELAY="http://127.0.0.1:$EMBEDDED_PORT" E2E_SPKI

export E2E_BASE="$ORIGIN" E2E_STANDIN="http://127.0.0.1:$STANDIN_PORT" E2E_REACT="$REACT_ORIGIN" E2E_TTL=${E2E_TTL:-5}
start=$(date +%s)
node --test --test-concurrency=1 "$@" tests/e2e/
echo "[e2e] passed in $(( $(date +%s) - start )) s"
