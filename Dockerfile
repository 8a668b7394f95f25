# syntax=docker/dockerfile:1.7
# Mastery Engine image. Build: docker build -t mastery-engine .
#
# Alpine variant: the production node_modules is ~90 MB (typescript comes in as an auto-installed
# peer of @elysiajs/openapi), and the Debian slim base plus the Bun binary would put the image
# over 250 MB; every dependency is plain JavaScript, so musl is fine.
# Keep BUN_VERSION equal to package.json "engines.bun" (scripts/lint-artifacts.sh checks it).
ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION}-alpine AS deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
# kafkajs carries a patch (patches/, see docs/troubleshooting.md) that the frozen install applies.
COPY patches ./patches
# No runtime dependency needs a lifecycle script, so skip them rather than trusting them.
RUN --mount=type=cache,target=/root/.bun/install/cache \
    bun install --frozen-lockfile --production --ignore-scripts

FROM oven/bun:${BUN_VERSION}-alpine AS runtime
ENV APP_ENV=production \
    NODE_ENV=production \
    PORT=8005 \
    HOST=0.0.0.0
WORKDIR /app
# Fixed uid/gid 10001, not the image's uid 1000 "bun" user: it must match
# k8s/base/deployment.yaml (runAsUser/runAsGroup/fsGroup 10001) and must not collide with host users.
RUN addgroup -S -g 10001 mastery \
    && adduser -S -D -H -u 10001 -G mastery -s /sbin/nologin mastery
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
# Slim/alpine images have no curl: probe with Bun itself.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bun", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8005)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["bun", "src/main.ts"]
