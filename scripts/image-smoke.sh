#!/usr/bin/env bash
# Builds the real image (scripts/image-build.sh) and runs it with podman as Kubernetes would run
# it: production settings, STATE_BACKEND=redis, the test Redis and Kafka (scripts/services.sh up)
# over the host network, a read-only root filesystem with only /tmp writable, all capabilities
# dropped, no privilege escalation, and no init process in front of the service (a pod has none).
# Checks, each failing the script:
#   - the image is under 250 MB, runs as uid 10001 and carries its HEALTHCHECK;
#   - /health, /ready (Redis and Kafka up), /docs/json (the OpenAPI plugin without its peers),
#     an event ingested with a service token and read back with the student's token;
#   - `podman healthcheck run` (the image's own HEALTHCHECK command) reports healthy;
#   - the root filesystem is really read-only, `id -u` inside is 10001, and the Deployment's
#     preStop command (sleep) exists;
#   - SIGTERM while a request is in flight: /ready turns 503, the request finishes with 202, the
#     container exits 0 within SHUTDOWN_TIMEOUT_MS.
# Prints the figures docs/release-checklist.md quotes: size, start to healthy, RSS at idle.
# Usage: scripts/image-smoke.sh   (npm test runs it)   Env: IMAGE (localhost/mastery-engine:dev)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CONTAINERS_CONF="$root/scripts/image/containers.conf"
. "$root/scripts/env-file.sh"
IMAGE="${IMAGE:-localhost/mastery-engine:dev}"
MAX_BYTES=250000000   # the release checklist's 250 MB, as `docker image ls` counts (10^6 bytes)
SHUTDOWN_TIMEOUT_MS=10000
name="mastery-engine-smoke-$$"
tmp="$(mktemp -d)"
slow_pid=""
cleanup() {
  [ -n "$slow_pid" ] && kill "$slow_pid" 2>/dev/null
  command podman rm --force --time 0 "$name" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "image-smoke: FAIL: $*"; podman container exists "$name" && podman logs --tail 30 "$name" 2>&1 | sed 's/^/  container: /'; exit 1; }
ok() { echo "image-smoke: ok: $*"; }
now_ms() { date +%s%3N; }
# podman 4.3 arms a systemd timer for every health check it knows of and logs an error for each when
# no systemd runs (here); nothing else is lost, so those lines alone are dropped.
podman() {
  local rc=0
  command podman "$@" 2>"$tmp/podman.err" || rc=$?
  grep -v 'unable to get systemd connection' "$tmp/podman.err" >&2 || true
  return "$rc"
}

# --- build ---------------------------------------------------------------------------------------
# The build's own output only when it fails; its summary lines always.
size="$(scripts/image-build.sh 2>"$tmp/build.log" | sed -n 's/^IMAGE_SIZE_BYTES=//p')" || true
if [ -z "$size" ]; then tail -40 "$tmp/build.log"; fail "the image did not build"; fi
grep '^\[image-build\]' "$tmp/build.log" || true
[ "$size" -lt "$MAX_BYTES" ] || fail "image is $size bytes, at or over 250 MB"
ok "image size $((size / 1000000)) MB ($size bytes) < 250 MB"
[ "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" = "10001:10001" ] || fail "image USER is not 10001:10001"
podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q '/health' || fail "image has no HEALTHCHECK on /health"
ok "image USER 10001:10001, HEALTHCHECK on /health"

# --- run -----------------------------------------------------------------------------------------
[ -f "$root/.services.env" ] || scripts/services.sh up >/dev/null
# shellcheck disable=SC1091
. "$root/.services.env"
[ -n "${REDIS_URL:-}" ] && [ -n "${KAFKA_BROKERS:-}" ] || fail ".services.env lacks REDIS_URL or KAFKA_BROKERS (scripts/services.sh up)"
secret="$(head -c 32 /dev/urandom | base64)"
port="$(free_port 18105)"
url="http://127.0.0.1:$port"
mint() { JWT_SECRET="$secret" JWT_ISSUER='' JWT_AUDIENCE='' scripts/bun.sh scripts/mint-token.ts "$@"; }
service_token="$(mint service image-smoke default)"
student="image-smoke-$$-$RANDOM"
student_token="$(mint student "$student" default)"

# --read-only-tmpfs=false: podman would otherwise also mount /run and /var/tmp writable; the pod
# has only /tmp (an emptyDir). --health-interval=disable: podman schedules health checks with
# systemd timers, and no systemd runs here; `podman healthcheck run` below runs the same check.
# A consumer group of its own, so the smoke never takes partitions from another consumer.
started="$(now_ms)"
podman run --detach --name "$name" --network host \
  --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,size=64m \
  --cap-drop ALL --security-opt no-new-privileges --health-interval disable \
  -e STATE_BACKEND=redis -e REDIS_URL="$REDIS_URL" -e KAFKA_BROKERS="$KAFKA_BROKERS" \
  -e KAFKA_GROUP_ID="$name" -e JWT_SECRET="$secret" -e PSEUDONYM_KEY="$(head -c 32 /dev/urandom | base64)" \
  -e HOST=127.0.0.1 -e PORT="$port" -e SHUTDOWN_TIMEOUT_MS="$SHUTDOWN_TIMEOUT_MS" \
  "$IMAGE" >/dev/null || fail "podman run failed"

healthy_ms=""
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$url/health" 2>/dev/null; then healthy_ms=$(($(now_ms) - started)); break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || fail "the container exited before /health answered"
  sleep 0.1
done
[ -n "$healthy_ms" ] || fail "/health did not answer within 30 s"
[ "$(curl -fsS "$url/health")" = '{"status":"healthy"}' ] || fail "/health body"
ok "/health 200 ${healthy_ms} ms after podman run"

ready=""
for _ in $(seq 1 50); do # under OPS_RATE_LIMIT_PER_MINUTE (60)
  ready="$(curl -sS "$url/ready" || true)"
  echo "$ready" | grep -q '"status":"ready"' && break
  sleep 0.3
done
echo "$ready" | node -e '
  const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const bad = ["redis", "kafka"].filter((d) => r.dependencies?.[d]?.status !== "up");
  if (r.status !== "ready" || bad.length) { console.error("not ready:", JSON.stringify(r)); process.exit(1); }' ||
  fail "/ready did not report ready with Redis and Kafka up"
# Joining the consumer group can outlast readiness (a rebalance takes seconds on a busy machine).
started=""
for _ in $(seq 1 60); do
  # grep without -q reads the whole log: -q would stop early and, under pipefail, podman's SIGPIPE would fail the pipe.
  podman logs "$name" 2>&1 | grep -F '"msg":"kafka ingest consumer started"' >/dev/null && { started=1; break; }
  sleep 0.5
done
[ -n "$started" ] || fail "the Kafka consumer did not start within 30 s"
ok "/ready 200: redis and kafka up; the Kafka consumer started"

code="$(curl -sS -o "$tmp/openapi.json" -w '%{http_code}' "$url/docs/json")"
[ "$code" = 200 ] && grep -q '"openapi":"3' "$tmp/openapi.json" || fail "/docs/json answered $code"
ok "/docs/json 200: the OpenAPI plugin runs without its peer dependencies"

event() { # event ID: one quiz result for the smoke's student, dated now
  printf '{"event_id":"%s","event_type":"quiz.completed","student_id":"%s","topic_id":"python-basics","occurred_at":"%s","data":{"quiz_id":"q1","score":0.9}}' \
    "$1" "$student" "$(date -u +%FT%TZ)"
}
post_event() { curl -sS -o "$tmp/post.out" -w '%{http_code}' -X POST "$url/api/v1/events" \
  -H "authorization: Bearer $service_token" -H 'content-type: application/json' --data-binary "$(event "$1")"; }
code="$(post_event "image-smoke-$$-1")"
[ "$code" = 202 ] && grep -q '"applied":1' "$tmp/post.out" || fail "POST /api/v1/events answered $code: $(cat "$tmp/post.out")"
code="$(curl -sS -o "$tmp/mastery.out" -w '%{http_code}' "$url/api/v1/students/$student/mastery" -H "authorization: Bearer $student_token")"
[ "$code" = 200 ] && grep -q '"topic_id":"python-basics"' "$tmp/mastery.out" || fail "mastery read answered $code: $(cat "$tmp/mastery.out")"
ok "event ingested (service token, 202) and read back from Redis (student token, 200)"

podman healthcheck run "$name" >/dev/null || fail "podman healthcheck run: unhealthy"
status="$(podman inspect --format '{{.State.Health.Status}}' "$name" 2>/dev/null || podman inspect --format '{{.State.Healthcheck.Status}}' "$name")"
[ "$status" = healthy ] || fail "health status is '$status'"
ok "podman healthcheck run: healthy (the image's HEALTHCHECK command)"

[ "$(podman exec "$name" id -u)" = 10001 ] || fail "id -u inside is not 10001"
pid="$(podman inspect --format '{{.State.Pid}}' "$name")"
grep -qE '^Uid:\s+10001\s+10001\s+10001\s+10001$' "/proc/$pid/status" || fail "the service process does not run as 10001"
if out="$(podman exec --user 0 "$name" touch /app/written 2>&1)"; then fail "root could write /app: the root filesystem is not read-only"; fi
echo "$out" | grep -q 'Read-only file system' || fail "writing /app failed for another reason: $out"
# The Deployment's preStop hook runs `sleep 5` inside the container.
podman exec "$name" sleep 0 || fail "no sleep in the image for the Deployment's preStop hook"
ok "id -u is 10001 (also the service process); the root filesystem is read-only; preStop's sleep runs"

sleep 2
rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
ok "RSS at idle $((rss_kb / 1024)) MB"

# --- SIGTERM while a request is in flight ---------------------------------------------------------
# A body that arrives in two parts, a second apart, holds the request in flight (the gate counts it
# from its first byte) while the container is told to stop.
body="$(event "image-smoke-$$-2")"
{ printf '%s' "${body:0:40}"; sleep 1; printf '%s' "${body:40}"; } |
  curl -sS -o "$tmp/slow.out" -w '%{http_code}' -X POST -T - -H 'Expect:' "$url/api/v1/events" \
    -H "authorization: Bearer $service_token" -H 'content-type: application/json' >"$tmp/slow.code" &
slow_pid=$!
in_flight=0
for _ in $(seq 1 50); do
  in_flight="$(curl -sS "$url/metrics" | awk '/^http_requests_in_flight / {print $2}')"
  [ "${in_flight:-0}" -ge 2 ] && break   # the slow request and this /metrics call
  sleep 0.02
done
[ "${in_flight:-0}" -ge 2 ] || fail "the slow request never was in flight"
term_at="$(now_ms)"
podman kill --signal TERM "$name" >/dev/null
sleep 0.2
code="$(curl -sS -o /dev/null -w '%{http_code}' "$url/ready" || true)"
[ "$code" = 503 ] || fail "/ready answered $code during shutdown (want 503)"
wait "$slow_pid" || true
slow_pid=""
[ "$(cat "$tmp/slow.code")" = 202 ] && grep -q '"applied":1' "$tmp/slow.out" || fail "the request in flight at SIGTERM answered $(cat "$tmp/slow.code"): $(cat "$tmp/slow.out")"
exit_code="$(podman wait "$name")"
stop_ms=$(($(now_ms) - term_at))
[ "$exit_code" = 0 ] || fail "exit $exit_code after SIGTERM (want 0)"
[ "$stop_ms" -lt "$SHUTDOWN_TIMEOUT_MS" ] || fail "stopping took $stop_ms ms (SHUTDOWN_TIMEOUT_MS $SHUTDOWN_TIMEOUT_MS)"
podman logs "$name" 2>&1 | grep -F '"msg":"stopped"' >/dev/null || fail "no 'stopped' log line"
ok "SIGTERM: /ready 503, the request in flight was applied (202), exit 0 after $stop_ms ms"

echo "image-smoke: $IMAGE: $((size / 1000000)) MB, healthy in $healthy_ms ms, RSS at idle $((rss_kb / 1024)) MB, stop in $stop_ms ms"
