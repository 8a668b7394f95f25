#!/usr/bin/env bash
# Runs the project's pinned Bun, installing it from the npm registry into .tools/ first when the
# machine has no Bun of that version, and the project's dependencies when node_modules is stale.
# Usage: scripts/bun.sh <bun arguments...>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want="$(node -p "require('$root/package.json').engines.bun")"
bun_bin=""
if command -v bun >/dev/null 2>&1 && [ "$(bun --version)" = "$want" ]; then
  bun_bin="$(command -v bun)"
elif [ -x "$root/.tools/bun/node_modules/.bin/bun" ] && [ "$("$root/.tools/bun/node_modules/.bin/bun" --version)" = "$want" ]; then
  bun_bin="$root/.tools/bun/node_modules/.bin/bun"
else
  echo "[bun.sh] installing bun@$want from the npm registry into .tools/bun" >&2
  mkdir -p "$root/.tools/bun"
  npm install --silent --no-save --no-audit --no-fund --prefix "$root/.tools/bun" "bun@$want" >&2
  bun_bin="$root/.tools/bun/node_modules/.bin/bun"
fi
export PATH="$(dirname "$bun_bin"):$PATH"
# Install dependencies when the lockfile, the manifest or a dependency patch is newer than the last
# install (a changed patch leaves the lockfile as it was).
stamp="$root/node_modules/.install-stamp"
if [ ! -f "$stamp" ] || [ "$root/bun.lock" -nt "$stamp" ] || [ "$root/package.json" -nt "$stamp" ] \
  || [ -n "$(find "$root/patches" -type f -newer "$stamp" 2>/dev/null)" ]; then
  (cd "$root" && "$bun_bin" install --frozen-lockfile >&2) && touch "$stamp"
fi
cd "$root"
exec "$bun_bin" "$@"
