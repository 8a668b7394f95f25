#!/usr/bin/env bash
# Debian's chromium for the dashboard's browser test, installed the way scripts/redis.sh installs
# redis-server: apt-get when root, otherwise a clear error. puppeteer-core drives it; it never
# downloads a browser of its own. Prints the browser's path.
# Usage: scripts/chromium.sh path
set -euo pipefail

find_chromium() { command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null || true; }

ensure_installed() {
  [ -n "$(find_chromium)" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[chromium] installing Debian's chromium" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core) >&2
    [ -n "$(find_chromium)" ] && return 0
  fi
  echo "[chromium] chromium is missing; install it (Debian: apt-get install chromium) and retry" >&2
  exit 1
}

case "${1:-}" in
  path) ensure_installed; find_chromium ;;
  *) echo "usage: $0 path" >&2; exit 2 ;;
esac
