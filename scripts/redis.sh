#!/usr/bin/env bash
# A real redis-server for development and tests, on loopback only, on a free port.
# Usage: scripts/redis.sh up|down|status|pause SECONDS|ensure-installed
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env-file.sh
. "$root/scripts/env-file.sh"
dir="$root/.services/redis"
pidfile="$dir/redis.pid"
portfile="$dir/port"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

ensure_installed() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[redis] installing Debian's redis-server" >&2
    # Never start the distribution's own service: we run our own instance on a free port.
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server) >&2
    command -v systemctl >/dev/null 2>&1 && systemctl disable --now redis-server >/dev/null 2>&1 || true
    return 0
  fi
  echo "[redis] redis-server is missing; install it (Debian: apt-get install redis-server) and retry" >&2
  exit 1
}

up() {
  if running; then
    port="$(cat "$portfile")"
  else
    ensure_installed
    mkdir -p "$dir"
    port="$(free_port 16379)"
    # No persistence: this instance holds test and development data only. DEBUG SLEEP (local
    # connections only) lets fault tests freeze the server.
    redis-server --bind 127.0.0.1 --port "$port" --daemonize yes --pidfile "$pidfile" \
      --dir "$dir" --save '' --appendonly no --logfile "$dir/redis.log" --protected-mode yes \
      --enable-debug-command local >/dev/null
    echo "$port" >"$portfile"
    for _ in $(seq 1 100); do
      redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
      sleep 0.1
    done
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG || { echo "[redis] did not answer on $port" >&2; tail -20 "$dir/redis.log" >&2; exit 1; }
  fi
  env_set REDIS_URL "redis://127.0.0.1:$port"
  echo "REDIS_URL=redis://127.0.0.1:$port"
}

down() {
  if running; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 50); do running || break; sleep 0.1; done
  fi
  rm -rf "$dir"
  env_unset REDIS_URL
}

case "${1:-}" in
  up) up ;;
  # For scripts/redis-cluster.sh, which runs the same redis-server.
  ensure-installed) ensure_installed ;;
  down) down ;;
  status) if running; then echo "redis: running on redis://127.0.0.1:$(cat "$portfile")"; else echo "redis: stopped"; exit 3; fi ;;
  # Freezes the server (SIGSTOP) for fault tests, and thaws it after SECONDS.
  pause) running || { echo "[redis] not running" >&2; exit 1; }; pid="$(cat "$pidfile")"; kill -STOP "$pid"; sleep "${2:?seconds}"; kill -CONT "$pid" ;;
  *) echo "usage: $0 up|down|status|pause SECONDS|ensure-installed" >&2; exit 2 ;;
esac
