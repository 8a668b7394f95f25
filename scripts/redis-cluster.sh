#!/usr/bin/env bash
# A real 3-master Redis Cluster for development and tests: Debian's redis-server, loopback only,
# on free ports (each node also needs its port + 10000 free, for the cluster bus), created with
# `redis-cli --cluster create`. Writes REDIS_CLUSTER_URL (the seed nodes, comma-separated) to
# .services.env. Usage: scripts/redis-cluster.sh up|down|status
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env-file.sh
. "$root/scripts/env-file.sh"
dir="$root/.services/redis-cluster"
masters=3

node_pid() { cat "$dir/$1/redis.pid" 2>/dev/null; }
node_up() { local pid; pid="$(node_pid "$1")" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
ports() { cat "$dir/ports" 2>/dev/null; }
running() {
  [ -f "$dir/ports" ] || return 1
  for p in $(ports); do node_up "$p" || return 1; done
  redis-cli -p "$(ports | awk '{print $1}')" cluster info 2>/dev/null | grep -q 'cluster_state:ok'
}
seeds() { local out=""; for p in $(ports); do out="${out:+$out,}redis://127.0.0.1:$p"; done; echo "$out"; }

# A port that is free together with its cluster bus port (port + 10000), and not already chosen.
pick_port() {
  local p="$1" taken="$2"
  while :; do
    p="$(free_port "$p")"
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null && [[ " $taken " != *" $p "* ]]; then echo "$p"; return; fi
    p=$((p + 1))
  done
}

down() {
  if [ -f "$dir/ports" ]; then
    for p in $(ports); do
      local pid; pid="$(node_pid "$p")" || continue
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for p in $(ports); do for _ in $(seq 1 50); do node_up "$p" || break; sleep 0.1; done; done
  fi
  rm -rf "$dir"
  env_unset REDIS_CLUSTER_URL
}

up() {
  if ! running; then
    "$root/scripts/redis.sh" ensure-installed
    down >/dev/null 2>&1 || true
    mkdir -p "$dir"
    local chosen="" p=17000
    for _ in $(seq 1 "$masters"); do p="$(pick_port "$p" "$chosen")"; chosen="$chosen $p"; p=$((p + 1)); done
    chosen="${chosen# }"
    echo "$chosen" >"$dir/ports"
    for p in $chosen; do
      mkdir -p "$dir/$p"
      # No persistence (test and development data only). DEBUG (local connections only) lets
      # fault tests freeze one node; MIGRATE needs nothing more.
      redis-server --bind 127.0.0.1 --port "$p" --daemonize yes --pidfile "$dir/$p/redis.pid" \
        --dir "$dir/$p" --save '' --appendonly no --logfile "$dir/$p/redis.log" --protected-mode yes \
        --cluster-enabled yes --cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 5000 \
        --enable-debug-command local >/dev/null
    done
    for p in $chosen; do
      for _ in $(seq 1 100); do redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
      redis-cli -p "$p" ping 2>/dev/null | grep -q PONG || { echo "[redis-cluster] node $p did not answer" >&2; tail -20 "$dir/$p/redis.log" >&2; exit 1; }
    done
    local addrs=""; for p in $chosen; do addrs="$addrs 127.0.0.1:$p"; done
    # shellcheck disable=SC2086
    redis-cli --cluster create $addrs --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
      || { echo "[redis-cluster] create failed" >&2; cat "$dir/create.log" >&2; exit 1; }
    for _ in $(seq 1 100); do running && break; sleep 0.1; done
    running || { echo "[redis-cluster] cluster_state did not become ok" >&2; exit 1; }
  fi
  env_set REDIS_CLUSTER_URL "$(seeds)"
  echo "REDIS_CLUSTER_URL=$(seeds)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if running; then echo "redis-cluster: running on $(seeds)"; else echo "redis-cluster: stopped"; exit 3; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
