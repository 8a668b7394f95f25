# syntax=docker/dockerfile:1.7
# Mastery Engine image. Build: docker build -t mastery-engine .
# Without Docker (as npm test does): scripts/image-build.sh, which also makes a local stand-in for
# the base image when no registry is reachable (docs/container-image.md).
#
# Debian slim variant (ADR 0007): the production install leaves out peer dependencies, so
# node_modules is about 22 MB and the image stays under 250 MB (the smoke fails at 250 MB).
# Keep BUN_VERSION equal to package.json "engines.bun" (scripts/lint-artifacts.sh checks it).
ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION}-slim AS deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
# kafkajs carries a patch (patches/, see docs/troubleshooting.md) that the frozen install applies.
COPY patches ./patches
# A build behind a TLS-intercepting proxy hands in its CA bundle (scripts/image-build.sh does, from
# the host's NODE_EXTRA_CA_CERTS); unset, Bun trusts its own CA list. Only this stage sees it.
ARG NODE_EXTRA_CA_CERTS
# No runtime dependency needs a lifecycle script, so skip them rather than trusting them.
# --omit=peer: the peers the service would otherwise get are typescript (23 MB; @elysiajs/openapi
# loads it only for fromTypes(), which this service does not use), bun-types and @types/* (type
# declarations) and elysia's optional file-type/openapi-types; none is loaded at run time, which
# the image smoke proves by serving /docs/json and the API from this install.
RUN --mount=type=cache,target=/root/.bun/install/cache \
    bun install --frozen-lockfile --production --omit=peer --ignore-scripts

FROM oven/bun:${BUN_VERSION}-slim AS runtime
ENV APP_ENV=production \
    NODE_ENV=production \
    PORT=8005 \
    HOST=0.0.0.0
WORKDIR /app
# Fixed uid/gid 10001, not the image's uid 1000 "bun" user: it must match
# k8s/base/deployment.yaml (runAsUser/runAsGroup/fsGroup 10001) and must not collide with host users.
RUN groupadd --gid 10001 mastery \
    && useradd --uid 10001 --gid mastery --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin mastery
# Application files stay root-owned and read-only for the runtime user.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json bun.lock bunfig.toml tsconfig.json ./
COPY data ./data
COPY src ./src
# Reported by the service (config GIT_COMMIT); declared last so a new commit rebuilds no layer above.
#   docker build --build-arg GIT_COMMIT="$(git rev-parse HEAD)" .
ARG GIT_COMMIT=unknown
ENV GIT_COMMIT=${GIT_COMMIT}
USER 10001:10001
EXPOSE 8005
# Slim images have no curl: probe with Bun itself.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bun", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8005)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["bun", "src/main.ts"]
