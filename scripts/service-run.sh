# Sourced by the checks that run the service in the background (scripts/load.sh, scripts/api-fuzz.sh).
# After `... scripts/bun.sh src/main.ts >"$log" 2>&1 &`, call `follow_service $! "$log" "$base_url"`:
# the service is stopped (TERM, then KILL after 15 s) when the calling script exits, and the call
# returns once /ready answers 200, or exits 2 with the log's tail if the service dies or is not
# ready within 60 s. The caller defines `say`.
svc_pid=""
stop_service() {
  [ -n "$svc_pid" ] && kill -0 "$svc_pid" 2>/dev/null || return 0
  kill -TERM "$svc_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$svc_pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$svc_pid" 2>/dev/null || true
}

follow_service() {
  svc_pid="$1"
  local log="$2" url="$3"
  trap stop_service EXIT
  trap 'exit 130' INT TERM
  for _ in $(seq 1 120); do
    if ! kill -0 "$svc_pid" 2>/dev/null; then say "the service exited during start-up:"; tail -n 30 "$log" >&2; exit 2; fi
    curl -fsS -o /dev/null "$url/ready" 2>/dev/null && return 0
    sleep 0.5
  done
  say "the service was not ready within 60 s:"
  curl -sS "$url/ready" >&2 || true
  tail -n 30 "$log" >&2
  exit 2
}
