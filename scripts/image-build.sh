#!/usr/bin/env bash
# Builds the project's Dockerfile into local container storage as localhost/mastery-engine:dev,
# without a Docker engine or a container registry (neither is reachable here), and prints its size.
#
#   1. Installs buildah, podman, runc and debootstrap from Debian when missing (needs root).
#   2. Makes a stand-in for the Dockerfile's base image, the official oven/bun:<version>-slim:
#      a Debian slim root filesystem from debootstrap plus the Bun binary from the npm package
#      @oven/bun-linux-x64, laid out as the official image (scripts/image/bun-base.Containerfile),
#      tagged with the official name so `FROM oven/bun:<version>-slim` resolves with --pull=never.
#      It is cached: in container storage (labelled with its key: Debian suite, Bun version and a
#      hash of the recipe) and as files under .tools/image-base/, so only a new key rebuilds it.
#   3. Builds the real Dockerfile with `buildah bud --format docker` (the OCI format would drop
#      HEALTHCHECK) and --layers, so an unchanged dependency layer is reused.
#
# Usage: scripts/image-build.sh            (also: bun run image:build)
# Env:   IMAGE (localhost/mastery-engine:dev), DEBIAN_SUITE (bookworm),
#        DEBIAN_MIRROR (http://deb.debian.org/debian), GIT_COMMIT (git rev-parse HEAD)
# Exit:  0 built; 1 a step failed (its output above). The last stdout line is
#        `IMAGE_SIZE_BYTES=<n>`, for scripts/image-smoke.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Our settings for buildah and podman (runtime, ulimits, no systemd): see that file.
export CONTAINERS_CONF="$root/scripts/image/containers.conf"

IMAGE="${IMAGE:-localhost/mastery-engine:dev}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
bun_version="$(node -p "require('./package.json').engines.bun")"
cache="$root/.tools/image-base"
debian_ref="localhost/mastery-engine-standin/debian:$DEBIAN_SUITE-slim"
bun_ref="docker.io/oven/bun:$bun_version-slim"
key_label="io.mastery-engine.standin-key"

log() { printf '[image-build] %s\n' "$*" >&2; }
die() { printf '[image-build] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - $1)) s"; }
started=$(date +%s)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- 1. tools ----------------------------------------------------------------------------------
missing=()
for tool in buildah podman runc debootstrap; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]}; install buildah podman runc debootstrap (Debian) and run as root"
  log "installing buildah podman runc debootstrap from Debian (once)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    buildah podman runc debootstrap) >&2 || die "apt-get install failed"
fi
[ "$(id -u)" = 0 ] || die "run as root: rootless buildah needs subordinate uid ranges this machine does not set up"

image_key() { podman image inspect --format "{{index .Labels \"$key_label\"}}" "$1" 2>/dev/null || true; }

# --- 2a. Debian slim root filesystem -----------------------------------------------------------
# Slimmed as Debian's own -slim images are: documentation, manuals and translations are deleted and
# dpkg is told never to install them again; apt lists, caches and logs go. Copyright files stay.
make_debian_rootfs() { # make_debian_rootfs DIR
  local dir="$1"
  debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" >&2
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CFG
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$dir"/usr/share/{man,info,groff,lintian,linda,locale}/* \
    "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
    "$dir"/var/cache/debconf/*-old "$dir"/var/lib/dpkg/*-old "$dir"/var/log/* \
    "$dir"/etc/hostname "$dir"/etc/resolv.conf
  # Every container gets its own machine id and name; the runtime mounts resolv.conf and hosts.
  : >"$dir/etc/machine-id"
}
debian_key="$DEBIAN_SUITE-$(declare -f make_debian_rootfs | sha256sum | cut -c1-12)"
debian_tar="$cache/debian-$debian_key.tar"
if [ "$(image_key "$debian_ref")" != "$debian_key" ]; then
  if [ ! -f "$debian_tar" ]; then
    t=$(date +%s)
    log "debootstrap $DEBIAN_SUITE (minbase) from $DEBIAN_MIRROR: about a minute, once per suite"
    make_debian_rootfs "$tmp/rootfs" || die "debootstrap failed"
    mkdir -p "$cache"
    rm -f "$cache"/debian-"$DEBIAN_SUITE"-*.tar
    tar --numeric-owner -C "$tmp/rootfs" -cf "$debian_tar.tmp" . && mv "$debian_tar.tmp" "$debian_tar"
    rm -rf "$tmp/rootfs"
    log "Debian $DEBIAN_SUITE root filesystem: $(du -m "$debian_tar" | cut -f1) MB in $(elapsed "$t")"
  fi
  # The official debian image's PATH and command.
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' --change "LABEL $key_label=$debian_key" \
    "$debian_tar" "$debian_ref" >/dev/null || die "podman import failed"
  log "imported $debian_ref"
fi

# --- 2b. the Bun image stand-in ----------------------------------------------------------------
bun_key="$debian_key-bun$bun_version-$(cat scripts/image/bun-base.Containerfile scripts/image/docker-entrypoint.sh | sha256sum | cut -c1-12)"
if [ "$(image_key "$bun_ref")" != "$bun_key" ]; then
  t=$(date +%s)
  bun_tgz="$cache/oven-bun-linux-x64-$bun_version.tgz"
  if [ ! -f "$bun_tgz" ]; then
    log "fetching @oven/bun-linux-x64@$bun_version from the npm registry"
    mkdir -p "$cache"
    (cd "$tmp" && npm pack --silent "@oven/bun-linux-x64@$bun_version" >/dev/null) || die "npm pack @oven/bun-linux-x64@$bun_version failed"
    mv "$tmp"/oven-bun-linux-x64-*.tgz "$bun_tgz"
  fi
  context="$tmp/bun-context"
  mkdir -p "$context"
  tar -xzf "$bun_tgz" -C "$context" package/bin/bun
  mv "$context/package/bin/bun" "$context/bun"
  chmod 0755 "$context/bun"
  [ "$("$context/bun" --version)" = "$bun_version" ] || die "the npm package's binary is not Bun $bun_version"
  cp scripts/image/docker-entrypoint.sh scripts/image/bun-base.Containerfile "$context/"
  buildah bud --quiet --pull=never --format docker --layers=false \
    --build-arg DEBIAN_IMAGE="$debian_ref" --label "$key_label=$bun_key" \
    -f "$context/bun-base.Containerfile" -t "$bun_ref" "$context" >/dev/null || die "building the Bun base stand-in failed"
  rm -rf "$context"
  log "built $bun_ref (stand-in) in $(elapsed "$t")"
else
  log "base $bun_ref (stand-in) is cached"
fi

# --- 3. the project's image --------------------------------------------------------------------
t=$(date +%s)
commit="${GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
# This machine reaches the npm registry through a TLS-intercepting proxy whose CA the host trusts
# through NODE_EXTRA_CA_CERTS: the dependency install in the build gets the same file (read-only,
# for the RUN steps only; it never lands in a layer).
extra_ca=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  extra_ca=(--volume "$NODE_EXTRA_CA_CERTS:/run/build-ca/ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca/ca.crt)
fi
buildah bud --pull=never --format docker --layers "${extra_ca[@]}" \
  --build-arg GIT_COMMIT="$commit" -f Dockerfile -t "$IMAGE" . >&2 || die "buildah bud of Dockerfile failed"
size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
log "built $IMAGE in $(elapsed "$t") (total $(elapsed "$started")): $((size / 1000000)) MB ($size bytes)"
echo "IMAGE_SIZE_BYTES=$size"
