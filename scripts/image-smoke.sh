#!/usr/bin/env bash
# Runs the Dockerfile's steps without a Docker engine: copy what the image copies, install
# production dependencies only (frozen lockfile, no lifecycle scripts), start the service as the
# image would (APP_ENV=production with the in-memory backend chosen explicitly, as production
# requires; uid 10001 when we can switch to it), probe it with the image's
# HEALTHCHECK command, then stop it with SIGTERM and expect exit 0. A change that would break the
# image build or start-up fails here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bun="$("$root/scripts/bun.sh" -e 'console.log(process.execPath)')"
. "$root/scripts/env-file.sh"

work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The Dockerfile's COPY lines, in order.
cp "$root/package.json" "$root/bun.lock" "$root/bunfig.toml" "$work/"
cp -r "$root/patches" "$work/"
(cd "$work" && "$bun" install --frozen-lockfile --production --ignore-scripts >/dev/null)
cp "$root/tsconfig.json" "$work/"
cp -r "$root/data" "$root/src" "$work/"
chmod -R a+rX "$work"

port="$(free_port 18105)"
as_image_user=()
uid="$(id -u)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
  as_image_user=(setpriv --reuid=10001 --regid=10001 --clear-groups)
  uid=10001
fi
(cd "$work" && env -i PATH="$PATH" APP_ENV=production NODE_ENV=production STATE_BACKEND=memory PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn \
  JWT_SECRET="$(head -c 32 /dev/urandom | base64)" PSEUDONYM_KEY="$(head -c 32 /dev/urandom | base64)" \
  "${as_image_user[@]}" "$bun" src/main.ts) &
pid=$!

healthcheck() { # the Dockerfile's HEALTHCHECK command
  (cd "$work" && PORT="$port" "$bun" -e "fetch('http://127.0.0.1:'+(process.env.PORT||8005)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))")
}
for _ in $(seq 1 100); do healthcheck && break; sleep 0.2; done
healthcheck || { echo "image-smoke: /health did not answer"; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || { echo "image-smoke: exit $status after SIGTERM (want 0)"; exit 1; }
echo "image-smoke: production install, start as uid $uid, /health, SIGTERM -> exit 0: ok"
