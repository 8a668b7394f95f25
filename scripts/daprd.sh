#!/usr/bin/env bash
# A real Dapr sidecar (daprd) for development and tests, built from source through the Go module
# proxy because no Dapr release binary can be downloaded here. See docs/dapr.md.
#
# Usage: scripts/daprd.sh build|path|up [APP_PORT]|down|status
#   build   build daprd once (cached under .tools/daprd, keyed by version and build tags); prints its path
#   path    print the cached binary's path; exit 1 when it has not been built
#   up      build if needed, start one sidecar for the tests on free loopback ports with the
#           components in deploy/dapr/test (state store on the test Redis), write DAPR_HTTP_PORT
#           and DAPR_GRPC_PORT to .services.env; with APP_PORT it also invokes the app listening there
#   down    stop that sidecar and drop its lines from .services.env
#   status  running/stopped; exit 0 when running, 3 when not
#
# Progress and errors go to stderr; build and path print only the binary's path on stdout.
set -euo pipefail

# ---- settings ----------------------------------------------------------------------------------
DAPR_VERSION="1.14.4"          # the newest dapr the Go module proxy serves here (1.15+ are refused)
BUILD_TAGS="stablecomponents"  # compiles in the stable components; without a tag daprd panics at start
APP_ID="mastery-engine"
FIRST_HTTP_PORT=13500          # clear of a developer's own sidecar on 3500/50001
READY_TIMEOUT_S=30             # a standalone start takes < 100 ms; 30 s means it is broken
# ------------------------------------------------------------------------------------------------

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env-file.sh
. "$root/scripts/env-file.sh"   # env_set / env_unset for .services.env, free_port
tools_dir="$root/.tools/daprd"
bin="$tools_dir/v$DAPR_VERSION-$BUILD_TAGS/daprd"
svc_dir="$root/.services/daprd"
pid_file="$svc_dir/daprd.pid"
log_file="$svc_dir/daprd.log"
state="$svc_dir/state.env"

say() { echo "[daprd.sh] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

build() {
  if [ -x "$bin" ]; then echo "$bin"; return 0; fi
  command -v go >/dev/null 2>&1 || die "Go is needed to build daprd (dapr $DAPR_VERSION needs Go >= 1.22)"
  mkdir -p "$tools_dir"
  # Two worktrees or test runs may ask at once: one builds, the other waits and reuses the binary.
  exec 9>"$tools_dir/build.lock"
  flock 9
  if [ -x "$bin" ]; then echo "$bin"; return 0; fi
  # The local toolchain builds it; never fetch another one. Checksums stay on (GOFLAGS may not turn
  # them off): the hashes the checksum database cannot give come from dapr's own go.sum.
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  unset GONOSUMDB GOPRIVATE GOINSECURE
  [ "$(go env GOSUMDB)" != off ] || export GOSUMDB=sum.golang.org
  say "building daprd $DAPR_VERSION (-tags $BUILD_TAGS) with $(go version | cut -d' ' -f3); cold: ~3.5 min and ~2.4 GB of Go module cache"
  local started=$SECONDS info dapr_dir dapr_sum dapr_mod_sum src
  info="$(cd "$tools_dir" && go mod download -json "github.com/dapr/dapr@v$DAPR_VERSION")" \
    || die "could not download github.com/dapr/dapr@v$DAPR_VERSION from the Go module proxy"
  dapr_dir="$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$info")"
  dapr_sum="$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")"
  dapr_mod_sum="$(sed -n 's/^\t"GoModSum": "\(.*\)",$/\1/p' <<<"$info")"
  [ -f "$dapr_dir/go.mod" ] || die "dapr's go.mod is not in the module cache ($dapr_dir)"

  # `go install …/cmd/daprd@v…` refuses a module with replace directives, so a wrapper module
  # requires dapr and repeats its replaces; its go.sum starts as dapr's (components-contrib's hash
  # is not in the checksum database, so it must come from there).
  src="$tools_dir/src-v$DAPR_VERSION"
  rm -rf "$src"
  mkdir -p "$src"
  {
    echo "module mastery-engine/daprd-build"
    echo
    grep -m1 '^go ' "$dapr_dir/go.mod"
    echo
    echo "require github.com/dapr/dapr v$DAPR_VERSION"
    echo
    # Every replace line and block of dapr's go.mod, comments dropped.
    awk '/^replace \(/ {inblock=1; print; next}
         inblock && /^\)/ {inblock=0; print; next}
         inblock {sub(/\/\/.*/, ""); if ($0 ~ /=>/) print; next}
         /^replace / {print}' "$dapr_dir/go.mod"
  } >"$src/go.mod"
  {
    cat "$dapr_dir/go.sum"
    echo "github.com/dapr/dapr v$DAPR_VERSION $dapr_sum"
    echo "github.com/dapr/dapr v$DAPR_VERSION/go.mod $dapr_mod_sum"
  } >"$src/go.sum"
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && go build -tags "$BUILD_TAGS" -trimpath \
    -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION" \
    -o "$bin.tmp" github.com/dapr/dapr/cmd/daprd) >&2 || die "go build of daprd failed"
  mv "$bin.tmp" "$bin"
  rm -rf "$src"
  say "built $bin in $((SECONDS - started)) s"
  echo "$bin"
}

# A pid can be recycled after a reboot or crash: it must still be our daprd binary.
running() { [ -f "$pid_file" ] && [ "$(readlink "/proc/$(cat "$pid_file")/exe" 2>/dev/null)" = "$(readlink -f "$bin")" ]; }

# The project's state store component, pointed at the test Redis (REDIS_URL from .services.env).
write_components() {
  local redis_url host_port
  redis_url="$(grep -m1 '^REDIS_URL=' "$env_file" 2>/dev/null | cut -d= -f2-)" \
    || die "REDIS_URL is not in .services.env: run scripts/redis.sh up first"
  host_port="${redis_url#redis://}"
  host_port="${host_port%%/*}"
  mkdir -p "$svc_dir/components"
  sed "s|value: redis:6379|value: $host_port|" "$root/dapr/components/statestore.yaml" >"$svc_dir/components/statestore.yaml"
  grep -q "value: $host_port" "$svc_dir/components/statestore.yaml" || die "could not point dapr/components/statestore.yaml at $host_port"
}

# up [APP_PORT]: with an app port the sidecar also invokes that app (method calls reach it).
up() {
  local app_port="${1:-}" http_port grpc_port
  if running; then
    # shellcheck disable=SC1090
    . "$state"
    [ -z "$app_port" ] || [ "$app_port" = "${running_app_port:-}" ] \
      || die "a sidecar already runs (app port '${running_app_port:-none}'); scripts/daprd.sh down first to invoke an app on $app_port"
  else
    build >/dev/null
    write_components
    http_port="$(free_port "$FIRST_HTTP_PORT")"
    grpc_port="$(free_port $((http_port + 1)))"
    local args=(--app-id "$APP_ID" --mode standalone
      --dapr-listen-addresses 127.0.0.1 --dapr-internal-grpc-listen-address 127.0.0.1
      --dapr-http-port "$http_port" --dapr-grpc-port "$grpc_port"
      --resources-path "$svc_dir/components" --enable-metrics=false --log-level info)
    [ -n "$app_port" ] && args+=(--app-port "$app_port" --app-protocol http)
    # Its own session: the sidecar outlives this script and is stopped by `down`.
    setsid "$bin" "${args[@]}" >"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
    printf 'http_port=%s\ngrpc_port=%s\nrunning_app_port=%s\n' "$http_port" "$grpc_port" "$app_port" >"$state"
    local deadline=$((SECONDS + READY_TIMEOUT_S))
    until curl -fsS -o /dev/null "http://127.0.0.1:$http_port/v1.0/healthz/outbound" 2>/dev/null; do
      running || { tail -n 30 "$log_file" >&2; die "daprd exited at start"; }
      [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$log_file" >&2; down; die "daprd did not become ready in $READY_TIMEOUT_S s"; }
      sleep 0.1
    done
  fi
  env_set DAPR_HTTP_PORT "$http_port"
  env_set DAPR_GRPC_PORT "$grpc_port"
  echo "DAPR_HTTP_PORT=$http_port"
  echo "DAPR_GRPC_PORT=$grpc_port"
}

down() {
  if running; then
    kill "$(cat "$pid_file")" 2>/dev/null || true
    for _ in $(seq 1 50); do running || break; sleep 0.1; done
    running && kill -9 "$(cat "$pid_file")" 2>/dev/null || true
  fi
  rm -rf "$svc_dir"
  env_unset DAPR_HTTP_PORT
  env_unset DAPR_GRPC_PORT
}

case "${1:-}" in
  build) build ;;
  up) up "${2:-}" ;;
  down) down ;;
  status) if running; then . "$state"; echo "daprd: running, HTTP on 127.0.0.1:$http_port, gRPC on 127.0.0.1:$grpc_port"; else echo "daprd: stopped"; exit 3; fi ;;
  path) [ -x "$bin" ] || die "daprd $DAPR_VERSION is not built yet: run scripts/daprd.sh build"; echo "$bin" ;;
  *) echo "usage: $0 build|path|up [APP_PORT]|down|status" >&2; exit 2 ;;
esac
