#!/usr/bin/env bash
# `bun run bench`: every benchmark, each writing its section of docs/benchmarks.md (the multi-replica
# check, bench/replicas.ts, writes its section of docs/scaling.md). All run even
# when one misses its target; the exit status is non-zero if any did.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/services.sh up >/dev/null || exit 1
status=0
for bench in bench/run.ts bench/ingest.ts bench/api.ts bench/audit.ts bench/analytics.ts bench/recommendations.ts bench/predictions.ts bench/cluster.ts bench/replicas.ts bench/dapr.ts bench/batch.ts; do
  echo "== $bench"
  scripts/bun.sh "$bench" || status=1
done
exit "$status"
