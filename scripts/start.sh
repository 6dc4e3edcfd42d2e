#!/usr/bin/env bash
# `npm start`: builds everything, then runs the demo at http://localhost:8080/.
#
# Without CANVAS_URL: starts the stand-in Canvas on 127.0.0.1:3000 (default seed, access tokens
# valid ACCESS_TOKEN_TTL=120 s so refreshes are visible) and the relay on 127.0.0.1:8080, which
# serves www/ at /, pkg/ at /pkg and the page's generated configuration at /config.
#
# With CANVAS_URL set, no stand-in: the relay talks to that Canvas. Then also set
#   CANVAS_CLIENT_ID, CANVAS_CLIENT_SECRET        the developer key (its redirect URIs must
#                                                 include CANVAS_REDIRECT_URI)
#   CANVAS_REDIRECT_URI   default http://localhost:8080/ (the demo page itself)
#   RELAY_ALLOWED_ORIGINS default the redirect URI's origin
#   DEMO_SCOPES           optional, space separated (for keys that enforce scopes)
#   RELAY_COOKIE_KEYS     optional; a random key is generated per run otherwise
# Any other relay variable (relay/README.md) passes through. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
say() { printf '[start] %s\n' "$*"; }

bash scripts/setup.sh
say "building the npm package"
bash scripts/build-pkg.sh
say "building the stand-in and the relay (debug)"
cargo build --quiet -p canvas-standin -p canvas-oauth-relay --bins
bin=${CARGO_TARGET_DIR:-target}/debug

demo_dir=target/demo
mkdir -p "$demo_dir"
source scripts/servers.sh
stop() {
  trap - INT TERM EXIT
  stop_servers
  say "stopped"
}
trap stop EXIT
interrupted=""
trap 'interrupted=1' INT TERM

if [ -z "${CANVAS_URL:-}" ]; then
  standin_listen=${STANDIN_LISTEN:-127.0.0.1:3000}
  say "starting the stand-in Canvas on $standin_listen (access tokens live ${ACCESS_TOKEN_TTL:-120} s)"
  start_server "$demo_dir/standin.log" "$bin"/canvas-standin --listen "$standin_listen" \
    --access-token-ttl "${ACCESS_TOKEN_TTL:-120}"
  export CANVAS_URL="http://$standin_listen" CANVAS_CLIENT_ID=10000000000001 CANVAS_CLIENT_SECRET=standin-secret-web
  demo_login="student@example.edu / password"
else
  : "${CANVAS_CLIENT_ID:?set CANVAS_CLIENT_ID (the developer key id) with CANVAS_URL}"
  : "${CANVAS_CLIENT_SECRET:?set CANVAS_CLIENT_SECRET (the developer key secret) with CANVAS_URL}"
  demo_login=""
fi
export CANVAS_REDIRECT_URI=${CANVAS_REDIRECT_URI:-http://localhost:8080/}
page_origin=$(node -e 'process.stdout.write(new URL(process.argv[1]).origin)' "$CANVAS_REDIRECT_URI")
export RELAY_ALLOWED_ORIGINS=${RELAY_ALLOWED_ORIGINS:-$page_origin}
# The demo's "Open a Canvas web session" button needs POST /session-url (off by default, S24).
export RELAY_SESSION_URL=${RELAY_SESSION_URL:-1}
# Its "GraphQL: my courses" button needs POST /api/graphql (off by default).
export RELAY_API_ALLOW=${RELAY_API_ALLOW:-GET:/api/v1/ POST:/api/graphql}
export RELAY_LISTEN=${RELAY_LISTEN:-127.0.0.1:8080}
export RELAY_STATIC_DIR=www RELAY_STATIC_MOUNTS="/pkg=pkg,/config=$demo_dir/config"
# The "Canvas course page" (www/course.html) iframes the demo from the other loopback name, another
# site: localhost <-> 127.0.0.1. The demo allows that origin to frame it.
course_origin=$(node -e 'const u = new URL(process.argv[1]);
  u.hostname = u.hostname === "localhost" ? "127.0.0.1" : "localhost"; process.stdout.write(u.origin)' "$page_origin")
export RELAY_FRAME_ANCESTORS=${RELAY_FRAME_ANCESTORS:-$course_origin}
if [ -z "${RELAY_COOKIE_KEYS:-}" ]; then
  RELAY_COOKIE_KEYS=$(random_cookie_key)
  export RELAY_COOKIE_KEYS
fi

# The page's configuration: everything public, nothing secret.
mkdir -p "$demo_dir/config"
DEMO_LOGIN=$demo_login node -e '
const env = process.env;
const config = {
  canvasUrl: env.CANVAS_URL,
  clientId: env.CANVAS_CLIENT_ID,
  redirectUri: env.CANVAS_REDIRECT_URI,
  relayUrl: env.RELAY_BASE_PATH || "/",
  scopes: (env.DEMO_SCOPES || "").split(/\s+/).filter(Boolean),
  refreshMarginSeconds: Number(env.DEMO_REFRESH_MARGIN || 60),
  autoRefresh: true,
  demoLogin: env.DEMO_LOGIN || undefined,
};
process.stdout.write("export default " + JSON.stringify(config, null, 2) + ";\n");
' >"$demo_dir/config/config.js"

say "starting the relay on $RELAY_LISTEN (Canvas: $CANVAS_URL)"
start_server "$demo_dir/relay.log" "$bin"/canvas-oauth-relay

cat <<EOF

  canvas-oauth demo:  $page_origin/
  inside "Canvas":    $course_origin/course.html  (a course page on another site iframes the demo)
EOF
[ -n "$demo_login" ] && echo "  demo login:         $demo_login  (or teacher@example.edu / password)"
cat <<EOF
  logs:               $demo_dir/relay.log${demo_login:+, $demo_dir/standin.log}
  Ctrl-C stops the servers.

EOF
wait -n "${pids[@]}" || true
sleep 0.2
[ -n "$interrupted" ] || say "a server stopped; its log is in $demo_dir"
