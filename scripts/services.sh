#!/usr/bin/env bash
# Starts or stops every real service the tests use (Redis, Kafka, a Dapr sidecar whose state store
# is that Redis, so it comes after it), idempotently, and keeps their addresses in .services.env.
# Usage: scripts/services.sh up|down|status|names   (names: the services, one a line, in start order)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
services=(redis)
[ -x "$root/scripts/kafka.sh" ] && services+=(kafka)
services+=(daprd)
cmd="${1:-}"
case "$cmd" in
  up | down | status) ;;
  names) printf '%s\n' "${services[@]}"; exit 0 ;;
  *) echo "usage: $0 up|down|status|names" >&2; exit 2 ;;
esac
rc=0
for s in "${services[@]}"; do "$root/scripts/$s.sh" "$cmd" || rc=$?; done
exit "$rc"
