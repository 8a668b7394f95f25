#!/usr/bin/env bash
# Runs the project's pinned k6, building it once from the Go module proxy into
# .tools/k6/<version>/k6 (git-ignored); later runs exec the cached binary at once.
# The first build takes about 3-4 minutes on a 2-core machine.
# Usage: scripts/k6.sh <k6 arguments...>   e.g. scripts/k6.sh version
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K6_VERSION=v1.8.1
bin_dir="$root/.tools/k6/$K6_VERSION"
k6="$bin_dir/k6"

if [ ! -x "$k6" ]; then
  command -v go >/dev/null 2>&1 || { echo "[k6.sh] go is required to build k6 $K6_VERSION" >&2; exit 2; }
  echo "[k6.sh] building k6 $K6_VERSION from the Go module proxy into .tools/k6/$K6_VERSION (once, a few minutes)" >&2
  start=$SECONDS
  mkdir -p "$bin_dir"
  # Build into a temporary GOBIN, then rename: an interrupted build never leaves a partial binary.
  tmp="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  if ! GOBIN="$tmp" go install "go.k6.io/k6@$K6_VERSION" >&2; then
    echo "[k6.sh] ERROR: go install go.k6.io/k6@$K6_VERSION failed" >&2
    exit 2
  fi
  mv "$tmp/k6" "$k6"
  rm -rf "$tmp"
  trap - EXIT
  echo "[k6.sh] built k6 $K6_VERSION in $((SECONDS - start))s" >&2
fi

exec "$k6" "$@"
