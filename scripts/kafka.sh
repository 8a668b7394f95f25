#!/usr/bin/env bash
# Runs a real single-node Apache Kafka broker (KRaft mode, broker+controller in one JVM) on
# 127.0.0.1 for local development and tests, built from the official jars on Maven Central
# because no Kafka tarball or Docker image is reachable here. See docs/kafka-local.md.
#
# Usage: scripts/kafka.sh up|topics|status|down|kill|start
#   up      fetch jars (cached), format + start the broker, create topics, print KAFKA_BROKERS=...
#   topics  create the topics below if missing
#   status  print running/stopped; exit 0 when running, 3 when not
#   down    stop the broker, delete its data, drop KAFKA_BROKERS from .services.env
#   kill    SIGKILL the broker and leave everything in place (fault tests)
#   start   restart a killed broker on the same port and data dir
#
# Only the KAFKA_BROKERS=... line goes to stdout, so `eval "$(scripts/kafka.sh up)"` works;
# progress and errors go to stderr.
set -euo pipefail

# ---- settings ----------------------------------------------------------------------------------
KAFKA_VERSION="3.9.2"        # newest 3.9.x on Maven Central; 3.9 is the last line that still ships log4j 1.x/reload4j
SCALA_VERSION="2.13"         # 3.9 deprecates its Scala 2.12 build; 2.13 is the one Kafka 4 keeps
FIRST_PORT=19092             # clear of a developer's own Kafka on 9092; probed upward when taken
BROKER_HEAP="-Xmx512m -Xms256m"  # the box has 2 cores and is shared with the service and its tests
READY_TIMEOUT_S=90           # cold JVM + KRaft bootstrap takes 5-20 s on a busy 2-core box; 90 s means it is broken
STOP_TIMEOUT_S=30            # a clean shutdown flushes and writes the clean-shutdown marker; after that, SIGKILL

DAY_MS=86400000
# Topics: "name partitions config..." (replication factor is always 1: there is one broker).
TOPICS=(
  # keyed by student_id so one student's events stay ordered; 6 partitions of consumer parallelism; 7 days allows replay after an outage
  "learning.events 6 retention.ms=$((7 * DAY_MS))"
  # parked poison messages wait for a human; low volume, so 3 partitions; 30 days so they outlive a long weekend plus triage
  "mastery.dlq 3 retention.ms=$((30 * DAY_MS))"
  # latest mastery per tenant_id/student_id: compaction lets GDPR-erasure null tombstones wipe a student, delete caps age at 7 days, daily segments bound both to ~8 days
  "mastery.updated 6 cleanup.policy=compact,delete retention.ms=$((7 * DAY_MS)) segment.ms=$DAY_MS"
  # batch recalculation chunks by priority (docs/batch.md); 6 partitions = up to 6 replicas busy per priority; a chunk is done within BATCH_TTL_DAYS (7) or its batch is gone
  "mastery.batch.high 6 retention.ms=$((7 * DAY_MS))"
  "mastery.batch.normal 6 retention.ms=$((7 * DAY_MS))"
  "mastery.batch.low 6 retention.ms=$((7 * DAY_MS))"
)
# ------------------------------------------------------------------------------------------------

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env-file.sh
. "$root/scripts/env-file.sh"   # env_set / env_unset for .services.env, free_port
tools_dir="$root/.tools/kafka"
libs_dir="$tools_dir/libs"
svc_dir="$root/.services/kafka"
data_dir="$svc_dir/data"
props="$svc_dir/server.properties"
state="$svc_dir/state.env"       # ports + cluster id, so `start` comes back exactly where it was
pid_file="$svc_dir/kafka.pid"
log_file="$svc_dir/kafka.log"
classpath="$libs_dir/*"
# Short-lived CLI JVMs: C1 only and serial GC start noticeably faster on 2 cores.
tool_jvm=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "-Dlog4j.configuration=file:$svc_dir/tools-log4j.properties")

say() { echo "[kafka.sh] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
die_with_log() {
  say "ERROR: $*"
  if [ -f "$log_file" ]; then
    say "last 40 lines of $log_file:"
    tail -n 40 "$log_file" >&2
  fi
  exit 1
}

# A connect() to loopback is answered at once (accept or RST); the timeout only guards odd kernels.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

load_state() {
  BROKER_PORT="" CONTROLLER_PORT="" CLUSTER_ID=""
  # shellcheck disable=SC1090
  [ -f "$state" ] && . "$state"
  return 0
}

brokers() { echo "127.0.0.1:$BROKER_PORT"; }

# The pid file can outlive the JVM and its pid can be recycled, so also check it is *our* broker.
broker_pid() {
  local pid arg
  [ -f "$pid_file" ] || return 1
  pid="$(cat "$pid_file" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  # Compared as real paths: a worktree reaches the same broker through a symlinked .services, and
  # taking it for stopped would format its data dir under it.
  arg="$(tr '\0' '\n' <"/proc/$pid/cmdline" | grep -x -A1 kafka.Kafka | tail -n 1)"
  [ -n "$arg" ] && [ "$(readlink -f "$arg")" = "$(readlink -f "$props")" ] || return 1
  echo "$pid"
}

fetch_jars() {
  # 3.9's TopicCommand and ConsoleConsumer live in kafka-tools, which also drags in connect-runtime
  # (Jetty, Jersey, ...) that none of the CLI tools we use need, so it is excluded.
  local pom
  pom="$(cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.mastery-engine</groupId>
  <artifactId>kafka-local</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA_VERSION}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>${KAFKA_VERSION}</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    <!-- kafka_2.13's pom has no logging backend; the Kafka 3.9 tarball ships this exact binding. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
)"
  # The stamp is the pom itself: a version bump refetches, an unchanged pom skips Maven entirely.
  if [ -f "$libs_dir/.pom.stamp" ] && [ "$(cat "$libs_dir/.pom.stamp")" = "$pom" ]; then
    return 0
  fi
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the Kafka jars"
  say "fetching Kafka $KAFKA_VERSION jars from Maven Central into .tools/kafka/libs (cached in ~/.m2)"
  mkdir -p "$tools_dir"
  printf '%s\n' "$pom" >"$tools_dir/pom.xml"
  rm -rf "$libs_dir"   # never mix jars of two Kafka versions on one classpath
  if ! mvn -q -B -f "$tools_dir/pom.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs_dir" >&2; then
    rm -rf "$libs_dir"
    die "mvn could not fetch the Kafka jars (see Maven output above)"
  fi
  printf '%s' "$pom" >"$libs_dir/.pom.stamp"
}

write_configs() {
  mkdir -p "$svc_dir"
  cat >"$props" <<EOF
# Generated by scripts/kafka.sh; rewritten on every fresh 'up'.
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data_dir
# One node: internal topics cannot have more than one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Tests join consumer groups constantly; the default 3 s delay would slow every one of them.
group.initial.rebalance.delay.ms=0
# Topics come only from scripts/kafka.sh topics, so a typo in a topic name fails loudly.
auto.create.topics.enable=false
num.partitions=6
# After a SIGKILL the controller refuses the restarted broker until the dead incarnation's
# session expires (9 s by default); fault tests restart often, so expire it sooner.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
# Sized for a 2-core box and a 512 MB heap (the cleaner's default 128 MB dedupe buffer is heap).
num.network.threads=2
num.io.threads=4
log.cleaner.dedupe.buffer.size=33554432
EOF
  # The broker logs to stdout, which is redirected to kafka.log; per-request chatter is muted.
  cat >"$svc_dir/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  # CLI tools: only warnings, and on stderr so they never pollute captured stdout.
  cat >"$svc_dir/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  # Bounded admin calls, so a half-up broker makes a readiness probe fail instead of hang.
  cat >"$svc_dir/admin.properties" <<'EOF'
request.timeout.ms=10000
default.api.timeout.ms=15000
EOF
}

kafka_tool() { java "${tool_jvm[@]}" -cp "$classpath" "$@"; }

# admin.properties bounds each request; `timeout` (which runs programs, not functions, hence the
# explicit java) also bounds the JVM itself should anything else hang.
topic_cmd() {
  timeout 60 java "${tool_jvm[@]}" -cp "$classpath" org.apache.kafka.tools.TopicCommand --bootstrap-server "$(brokers)" \
    --command-config "$svc_dir/admin.properties" "$@"
}

launch() {
  rm -f "$pid_file"
  : >>"$log_file"
  echo "[kafka.sh] ---- starting broker on $(brokers) at $(date -Is) ----" >>"$log_file"
  # setsid: the broker must outlive this script and not die with the caller's process group
  # (Ctrl-C, a test runner killing its job). All three fds are detached so `$(kafka.sh up)`
  # returns instead of waiting for the broker to close a pipe. The inner shell writes its own
  # pid and then execs java, so the pid file names the JVM itself.
  # shellcheck disable=SC2086,SC2016  # word-split BROKER_HEAP; $$ is the inner shell's
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pid_file" \
    java $BROKER_HEAP -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      "-Dlog4j.configuration=file:$svc_dir/log4j.properties" \
      -cp "$classpath" kafka.Kafka "$props" \
    </dev/null >>"$log_file" 2>&1 9>&- &
}

wait_ready() {
  local started=$SECONDS pid=""
  while [ $((SECONDS - started)) -lt "$READY_TIMEOUT_S" ]; do
    # Allow the launcher a few seconds to write the pid file; after that a missing JVM is a crash.
    pid="$(broker_pid)" || pid=""
    if [ -z "$pid" ] && [ $((SECONDS - started)) -ge 5 ]; then
      die_with_log "broker process exited during startup"
    fi
    # The cheap TCP check first; then a real metadata round-trip, because the port opens before
    # the broker has caught up with the KRaft metadata log and can serve requests.
    if [ -n "$pid" ] && port_open "$BROKER_PORT" \
        && topic_cmd --list >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  die_with_log "broker on $(brokers) not serving after ${READY_TIMEOUT_S}s (pid ${pid:-none})"
}

cmd_topics() {
  load_state
  if [ -z "$BROKER_PORT" ] || ! broker_pid >/dev/null; then
    die "broker is not running; run: scripts/kafka.sh up"
  fi
  local spec name parts configs c args
  for spec in "${TOPICS[@]}"; do
    read -r name parts configs <<<"$spec"
    args=()
    for c in $configs; do args+=(--config "$c"); done
    # The dropped line is TopicCommand's advice not to mix '.' and '_' in names; ours use only '.'.
    topic_cmd --create --if-not-exists --topic "$name" --partitions "$parts" \
      --replication-factor 1 "${args[@]}" 2>&1 | sed '/limitations in metric names/d' >&2 \
      || die_with_log "could not create topic $name"
  done
  say "topics ready: ${TOPICS[*]%% *}"
}

cmd_up() {
  command -v java >/dev/null || die "Java 17+ is needed (java not on PATH)"
  load_state
  local pid
  if [ -n "$BROKER_PORT" ] && pid="$(broker_pid)"; then
    if port_open "$BROKER_PORT"; then
      env_set KAFKA_BROKERS "$(brokers)"
      echo "KAFKA_BROKERS=$(brokers)"
      return 0
    fi
    # Alive but not listening yet: probably another `up` still starting it.
    wait_ready
    env_set KAFKA_BROKERS "$(brokers)"
    echo "KAFKA_BROKERS=$(brokers)"
    return 0
  fi

  fetch_jars
  if [ -n "$BROKER_PORT" ] && [ -f "$data_dir/meta.properties" ] \
      && ! port_open "$BROKER_PORT" && ! port_open "$CONTROLLER_PORT"; then
    # Left over from `kill` (or a crash): resume with the same port and data.
    say "resuming the stopped broker on $(brokers)"
    launch
  else
    # Fresh start: anything left is from a broker we cannot resume, so start clean.
    rm -rf "$data_dir" "$pid_file" "$state"
    mkdir -p "$svc_dir"
    : >"$log_file"
    BROKER_PORT="$(free_port "$FIRST_PORT")"
    CONTROLLER_PORT="$(free_port $((BROKER_PORT + 1)))"
    write_configs
    CLUSTER_ID="$(kafka_tool kafka.tools.StorageTool random-uuid 2>>"$log_file")" \
      || die_with_log "could not generate a cluster id"
    printf 'BROKER_PORT=%s\nCONTROLLER_PORT=%s\nCLUSTER_ID=%s\n' \
      "$BROKER_PORT" "$CONTROLLER_PORT" "$CLUSTER_ID" >"$state"
    kafka_tool kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$props" >>"$log_file" 2>&1 \
      || die_with_log "formatting $data_dir failed"
    say "starting Kafka $KAFKA_VERSION on $(brokers) (controller 127.0.0.1:$CONTROLLER_PORT)"
    launch
  fi
  wait_ready
  cmd_topics
  env_set KAFKA_BROKERS "$(brokers)"
  echo "KAFKA_BROKERS=$(brokers)"
}

cmd_start() {
  load_state
  [ -n "$BROKER_PORT" ] && [ -f "$data_dir/meta.properties" ] \
    || die "no formatted broker to start; run: scripts/kafka.sh up"
  if ! broker_pid >/dev/null; then
    port_open "$BROKER_PORT" && die "port $BROKER_PORT is taken by another process; cannot restart on it"
    port_open "$CONTROLLER_PORT" && die "port $CONTROLLER_PORT is taken by another process; cannot restart on it"
    say "restarting the broker on $(brokers) with its existing data"
    launch
  fi
  wait_ready
  env_set KAFKA_BROKERS "$(brokers)"
  echo "KAFKA_BROKERS=$(brokers)"
}

cmd_down() {
  load_state
  local pid
  if pid="$(broker_pid)"; then
    say "stopping broker (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT_S))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      say "broker did not stop within ${STOP_TIMEOUT_S}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      # A SIGKILLed process is gone once the kernel reaps it; bounded in case it is stuck in D state.
      deadline=$((SECONDS + 10))
      while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    fi
  fi
  # kafka.log stays for post-mortems; the next fresh `up` truncates it.
  if [ -d "$svc_dir" ]; then
    find "$svc_dir" -mindepth 1 -maxdepth 1 ! -name kafka.log -exec rm -rf {} +
  fi
  env_unset KAFKA_BROKERS
  say "down"
}

cmd_kill() {
  local pid
  if pid="$(broker_pid)"; then
    kill -KILL "$pid"
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    say "broker (pid $pid) killed; data and port kept; 'scripts/kafka.sh start' brings it back"
  else
    say "broker is not running"
  fi
}

cmd_status() {
  load_state
  local pid
  if [ -n "$BROKER_PORT" ] && pid="$(broker_pid)" && port_open "$BROKER_PORT"; then
    echo "kafka: running on $(brokers) (pid $pid)"
    return 0
  fi
  if [ -n "$BROKER_PORT" ]; then
    echo "kafka: stopped (was on $(brokers); 'start' resumes it)"
  else
    echo "kafka: stopped"
  fi
  return 3
}

# Test runners may call `up` from several processes at once; without this two of them could both
# pick the port and format the data dir. `status` stays lock-free so it is always instant.
lock() {
  mkdir -p "$root/.services"
  exec 9>"$root/.services/.kafka.lock"
  flock -w 180 9 || die "another scripts/kafka.sh has held .services/.kafka.lock for 180s"
}

case "${1:-}" in
  up|topics|down|kill|start) lock ;;
esac
case "${1:-}" in
  up) cmd_up ;;
  topics) cmd_topics ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill) cmd_kill ;;
  start) cmd_start ;;
  *) echo "usage: $0 up|topics|status|down|kill|start" >&2; exit 2 ;;
esac
