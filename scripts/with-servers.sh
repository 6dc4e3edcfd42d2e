#!/usr/bin/env bash
# Starts the stand-in Canvas and the relay on 127.0.0.1, runs the given command, stops both.
# Ports sit below Linux's ephemeral range (32768-60999): a port there can be held by a client
# socket in TIME_WAIT after a load test, and binding it then fails.
# Used by the browser tests: the relay is built with `test-hooks` (request counters) and the
# stand-in with short-lived access tokens so refreshes happen during a test.
#   STANDIN_PORT (17100)  RELAY_PORT (17101)  PAGE_ORIGIN (http://127.0.0.1:17102)
#   SILENT_PORT (17103)  FAKE_RELAY_PORT (17105)  ACCESS_TOKEN_TTL (seconds, 4); port 17104 is kept free (refused).
#   THROTTLED_STANDIN_PORT (17106)  THROTTLED_RELAY_PORT (17107): a stand-in with a tiny throttle bucket
#   and slow API answers, and its relay (tests/throttling.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
STANDIN_PORT=${STANDIN_PORT:-17100}
RELAY_PORT=${RELAY_PORT:-17101}
PAGE_ORIGIN=${PAGE_ORIGIN:-http://127.0.0.1:17102}
logs=${SERVER_LOGS:-target/server-logs}
mkdir -p "$logs"

cargo build --quiet -p canvas-standin --bin canvas-standin
bin=${CARGO_TARGET_DIR:-target}/debug
cargo build --quiet -p canvas-oauth-relay --bin canvas-oauth-relay --features test-hooks

source scripts/servers.sh
trap stop_servers EXIT

start_server "$logs/standin.log" "$bin"/canvas-standin --listen "127.0.0.1:$STANDIN_PORT" --test-hooks \
  --access-token-ttl "${ACCESS_TOKEN_TTL:-4}"

start_server "$logs/relay.log" env \
  CANVAS_URL="http://127.0.0.1:$STANDIN_PORT" \
  CANVAS_CLIENT_ID=10000000000001 \
  CANVAS_CLIENT_SECRET=standin-secret-web \
  CANVAS_REDIRECT_URI="$PAGE_ORIGIN/callback" \
  RELAY_LISTEN="127.0.0.1:$RELAY_PORT" \
  RELAY_ALLOWED_ORIGINS="$PAGE_ORIGIN" \
  RELAY_COOKIE_KEYS="$(random_cookie_key)" \
  RELAY_RATE_LIMIT_PER_MINUTE=100000 \
  RELAY_SESSION_URL=1 \
  RELAY_API_ALLOW="GET:/api/v1/ DELETE:/api/v1/users/self/favorites/ POST:/api/graphql" \
  "$bin"/canvas-oauth-relay

# Canvas throttling: a bucket of 3 units that leaks 2 per second; a request reserves 1 while in
# flight (100 ms) and costs 3, so one request fills it and the next is refused for about a second.
# Retry-After 1 s from the relay; POST and DELETE allowed.
THROTTLED_STANDIN_PORT=${THROTTLED_STANDIN_PORT:-17106}
THROTTLED_RELAY_PORT=${THROTTLED_RELAY_PORT:-17107}
start_server "$logs/throttled-standin.log" "$bin"/canvas-standin --listen "127.0.0.1:$THROTTLED_STANDIN_PORT" \
  --test-hooks --throttle-high-water 3 --throttle-outflow 2 --throttle-up-front 1 --throttle-cost 3 --api-latency-ms 100

start_server "$logs/throttled-relay.log" env \
  CANVAS_URL="http://127.0.0.1:$THROTTLED_STANDIN_PORT" \
  CANVAS_CLIENT_ID=10000000000001 \
  CANVAS_CLIENT_SECRET=standin-secret-web \
  CANVAS_REDIRECT_URI="$PAGE_ORIGIN/callback" \
  RELAY_LISTEN="127.0.0.1:$THROTTLED_RELAY_PORT" \
  RELAY_ALLOWED_ORIGINS="$PAGE_ORIGIN" \
  RELAY_COOKIE_KEYS="$(random_cookie_key)" \
  RELAY_RATE_LIMIT_PER_MINUTE=100000 \
  RELAY_THROTTLE_RETRY_AFTER_SECS=1 \
  RELAY_API_ALLOW="GET:/api/v1/ POST:/api/v1/ DELETE:/api/v1/" \
  "$bin"/canvas-oauth-relay

# A server that accepts connections and never answers: the relay-timeout tests point at it.
start_server "$logs/silent.log" python3 -u -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128); held = []
print("silent server listening on", sys.argv[1])
while True: held.append(s.accept()[0])
'  "${SILENT_PORT:-17103}"

# A relay that misbehaves on purpose (strict parsing and size-cap tests).
start_server "$logs/fake-relay.log" python3 -u scripts/fake-relay.py "${FAKE_RELAY_PORT:-17105}"

export CANVAS_TEST_STANDIN="http://127.0.0.1:$STANDIN_PORT" CANVAS_TEST_RELAY="http://127.0.0.1:$RELAY_PORT" \
  CANVAS_TEST_SILENT="http://127.0.0.1:${SILENT_PORT:-17103}" \
  CANVAS_TEST_FAKE_RELAY="http://127.0.0.1:${FAKE_RELAY_PORT:-17105}" \
  CANVAS_TEST_THROTTLED_STANDIN="http://127.0.0.1:$THROTTLED_STANDIN_PORT" \
  CANVAS_TEST_THROTTLED_RELAY="http://127.0.0.1:$THROTTLED_RELAY_PORT"
"$@"
