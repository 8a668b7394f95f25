#!/usr/bin/env bash
# Runs one k6 load scenario against the real service (docs/load-testing.md).
#   scripts/load.sh smoke|load|stress|spike|soak     (bun run load:smoke, bun run load -- <scenario>)
# Starts Redis and Kafka (scripts/services.sh up, idempotent, left running), then the service on a
# free loopback port as in production (APP_ENV=production, STATE_BACKEND=redis, Kafka consumer on,
# fresh random JWT_SECRET and PSEUDONYM_KEY), waits for /ready, runs k6 against it only, and
# always stops the service. Exit status: k6's (99 = a threshold failed), 2 = the service did not
# come up. Outputs (git-ignored) in load/results/: <scenario>-summary.json, <scenario>.csv.gz,
# service-<scenario>.log; and the chart docs/load/<scenario>.svg (CHART=0 skips it).
# Env: RATE_LIMIT_PER_MINUTE (default 1000000, see docs/load-testing.md), LOAD_REDIS_DB (15), SOAK_DURATION,
#      LOAD_DURATION, SMOKE_DURATION, STUDENTS, THINK_MIN_S, THINK_MAX_S, K6_ARGS (extra k6 arguments).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env-file.sh
. "$root/scripts/env-file.sh" # free_port
# shellcheck source=scripts/service-run.sh
. "$root/scripts/service-run.sh" # follow_service

scenario="${1:-}"
case "$scenario" in
  smoke | load | stress | spike | soak) ;;
  *) echo "usage: $0 smoke|load|stress|spike|soak" >&2; exit 2 ;;
esac
say() { echo "[load.sh] $*" >&2; }
results="$root/load/results"
mkdir -p "$results" "$root/docs/load"

# Real services, then their addresses (not exported to this shell: only the service gets them).
scripts/services.sh up >&2
redis_url="$(grep '^REDIS_URL=' .services.env | cut -d= -f2-)"
kafka_brokers="$(grep '^KAFKA_BROKERS=' .services.env | cut -d= -f2- || true)"
[ -n "$redis_url" ] || { say "no REDIS_URL in .services.env"; exit 2; }
# A Redis database of its own (LOAD_REDIS_DB, default 15), emptied before each run: runs start
# alike, and their students and audit entries (one per read) never mix with the tests' data in db 0.
redis_url="${redis_url%/}/${LOAD_REDIS_DB:-15}"
if command -v redis-cli >/dev/null 2>&1; then
  redis-cli -u "$redis_url" FLUSHDB >/dev/null || { say "cannot empty $redis_url"; exit 2; }
else
  say "redis-cli not found: $redis_url is not emptied before the run"
fi

# Load runs get their own topics and consumer group, so they neither replay nor steal the
# events of tests sharing the broker (the consumer reads its topic from the beginning).
kafka_env=()
if [ -n "$kafka_brokers" ]; then
  KAFKA_BROKERS="$kafka_brokers" scripts/bun.sh scripts/load-kafka-topics.ts >/dev/null
  kafka_env=(KAFKA_BROKERS="$kafka_brokers" KAFKA_GROUP_ID=mastery-engine-load
    KAFKA_TOPIC_EVENTS=load.learning.events KAFKA_TOPIC_DLQ=load.mastery.dlq KAFKA_TOPIC_UPDATES=load.mastery.updated)
fi

jwt_secret="$(openssl rand -hex 32)"
# One issuer and audience for the service and k6's tokens, whatever this shell has set: the service
# sees only what is passed below, while k6 would read JWT_ISSUER/JWT_AUDIENCE from the environment.
issuer="${JWT_ISSUER:-mastery-engine}"
audience="${JWT_AUDIENCE:-learnflow}"
port="$(free_port 18005)"
base_url="http://127.0.0.1:$port"
log="$results/service-$scenario.log"
say "starting the service on $base_url (redis ${redis_url}, kafka ${kafka_brokers:-off}); log: ${log#"$root"/}"
# exec env: the background job's pid is the bun process itself, so the trap stops the service.
exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
  APP_ENV=production LOG_LEVEL=warn HOST=127.0.0.1 PORT="$port" \
  STATE_BACKEND=redis REDIS_URL="$redis_url" "${kafka_env[@]}" \
  JWT_SECRET="$jwt_secret" JWT_ISSUER="$issuer" JWT_AUDIENCE="$audience" PSEUDONYM_KEY="$(openssl rand -hex 32)" \
  RATE_LIMIT_PER_MINUTE="${RATE_LIMIT_PER_MINUTE:-1000000}" GIT_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  scripts/bun.sh src/main.ts >"$log" 2>&1 &
follow_service $! "$log" "$base_url"
say "ready: $(curl -fsS "$base_url/ready")"

csv="$results/$scenario.csv.gz"
# The machine is shared (k6, the service, Redis and Kafka on the same cores): record how busy it was.
say "k6 run load/scenarios/$scenario.js ($(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
set +e
# shellcheck disable=SC2086 # K6_ARGS is a word list on purpose
scripts/k6.sh run --quiet \
  -e BASE_URL="$base_url" -e JWT_SECRET="$jwt_secret" -e JWT_ISSUER="$issuer" -e JWT_AUDIENCE="$audience" -e RUN_ID="$scenario-$(date +%s)" \
  ${SOAK_DURATION:+-e SOAK_DURATION="$SOAK_DURATION"} ${LOAD_DURATION:+-e LOAD_DURATION="$LOAD_DURATION"} \
  ${SMOKE_DURATION:+-e SMOKE_DURATION="$SMOKE_DURATION"} ${STUDENTS:+-e STUDENTS="$STUDENTS"} \
  ${THINK_MIN_S:+-e THINK_MIN_S="$THINK_MIN_S"} ${THINK_MAX_S:+-e THINK_MAX_S="$THINK_MAX_S"} \
  --system-tags status,method,name,scenario,expected_response,check,error_code \
  --out "csv=$csv" ${K6_ARGS:-} \
  "load/scenarios/$scenario.js"
k6_rc=$?
set -e
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# What the service saw, for the record: its own request metrics and anything it logged.
curl -fsS "$base_url/metrics/detailed" >"$results/service-$scenario-metrics.json" 2>/dev/null || true
if [ "${CHART:-1}" = 1 ] && [ -s "$csv" ]; then
  scripts/bun.sh scripts/load-chart.ts "$csv" "docs/load/$scenario.svg" "$scenario" >&2 || say "chart failed (the run's result stands)"
fi
warnings="$(grep -c '"level":[45]0' "$log" || true)"
[ "$warnings" = 0 ] || say "the service logged $warnings warning/error lines: ${log#"$root"/}"
if [ "$k6_rc" -eq 0 ]; then say "$scenario: all thresholds passed"; else say "$scenario: k6 exited $k6_rc (99 = a threshold failed)"; fi
exit "$k6_rc"
