# Sourced by with-servers.sh, e2e.sh and start.sh: start servers in the background, wait until
# each says "listening on", and stop them all on exit.
pids=()

stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# Waits until a server's log shows its "listening on" line (or it dies, or 30 s pass).
wait_listening() {
  local log=$1 pid=$2
  for _ in $(seq 300); do
    grep -q "listening on" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || { echo "server exited early; its log ($log):" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "server did not start in 30 s; its log ($log):" >&2; cat "$log" >&2; return 1
}

# start_server LOG COMMAND...: runs COMMAND in the background, output to LOG, and waits for it.
start_server() {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  wait_listening "$log" $!
}

# A fresh 32-byte cookie sealing key in RELAY_COOKIE_KEYS form.
random_cookie_key() {
  printf 'k1:%s' "$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))')"
}
