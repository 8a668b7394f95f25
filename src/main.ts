import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jwt } from '@elysiajs/jwt';
import { importSPKI } from 'jose';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import packageJson from '../package.json';
import { systemClock } from './adapters/clock/clock.system';
import { createApp } from './adapters/http/app';
import type { AuthSettings } from './adapters/http/auth';
import { createAuthenticator } from './adapters/http/auth';
import { AuditTrail } from './adapters/audit/audit-trail';
import { createPseudonymizer, sha256 } from './adapters/crypto/hashing';
import { randomIds } from './adapters/crypto/ids';
import { DaprAuditLog } from './adapters/dapr/audit-log.dapr';
import { DaprBatchStore } from './adapters/dapr/batch-store.dapr';
import { DaprCohortStore } from './adapters/dapr/cohort-store.dapr';
import { DaprCurriculumStore } from './adapters/dapr/curriculum-store.dapr';
import { DaprMasteryStore } from './adapters/dapr/mastery-store.dapr';
import { DaprPredictionCache } from './adapters/dapr/prediction-cache.dapr';
import { DaprPredictionLog } from './adapters/dapr/prediction-log.dapr';
import { DaprRateLimiter } from './adapters/dapr/rate-limiter.dapr';
import { DaprRecommendationStore } from './adapters/dapr/recommendation-store.dapr';
import { DaprState } from './adapters/dapr/state';
import { MemoryAuditLog } from './adapters/memory/audit-log.memory';
import { RedisAuditLog } from './adapters/redis/audit-log.redis';
import type { DevToken } from './adapters/http/dashboard.routes';
import type { Lifecycle } from './adapters/http/gate';
import { MemoryCohortStore } from './adapters/memory/cohort-store.memory';
import { CachedCurriculumSource } from './adapters/memory/curriculum-source.cached';
import { MemoryCurriculumStore } from './adapters/memory/curriculum-store.memory';
import { MemoryMasteryStore } from './adapters/memory/mastery-store.memory';
import { MemoryRecommendationStore } from './adapters/memory/recommendation-store.memory';
import { MemoryAnswerCache } from './adapters/memory/answer-cache.memory';
import { MemoryPredictionCache } from './adapters/memory/prediction-cache.memory';
import { MemoryPredictionLog } from './adapters/memory/prediction-log.memory';
import { MemoryRateLimiter } from './adapters/memory/rate-limiter.memory';
import { startKafkaBatch } from './adapters/kafka/batch.kafka';
import { startKafkaIngest } from './adapters/kafka/kafka-ingest';
import { MemoryBatchQueue } from './adapters/memory/batch-queue.memory';
import { MemoryBatchStore } from './adapters/memory/batch-store.memory';
import { observedChunkHandler, registerBatchMetrics, resetWaiting, type BatchMetrics } from './adapters/observability/batch-observer';
import { RedisBatchStore } from './adapters/redis/batch-store.redis';
import { createLogger } from './adapters/observability/logger';
import { createMetrics } from './adapters/observability/metrics';
import { MeteredPredictionCache } from './adapters/observability/prediction-cache.metered';
import { MeteredPredictionLog } from './adapters/observability/prediction-log.metered';
import { connectRedis, pingAll, redisProbe, waitUntilReady } from './adapters/redis/client';
import { RedisCohortStore } from './adapters/redis/cohort-store.redis';
import { RedisCurriculumStore } from './adapters/redis/curriculum-store.redis';
import { RedisMasteryStore, ttlSeconds } from './adapters/redis/mastery-store.redis';
import { RedisRecommendationStore } from './adapters/redis/recommendation-store.redis';
import { RedisPredictionCache } from './adapters/redis/prediction-cache.redis';
import { RedisPredictionLog } from './adapters/redis/prediction-log.redis';
import { RedisRateLimiter } from './adapters/redis/rate-limiter.redis';
import { BreakerMasteryStore, type BreakerStatus } from './adapters/resilience/mastery-store.breaker';
import { parseConfig, type Config } from './config/config';
import { ROLES } from './domain/access/access';
import { parseCurriculum, type Curriculum } from './domain/mastery/curriculum';
import type { EngineDeps } from './domain/mastery/engine';
import { DAY_MS } from './domain/mastery/topic-state';
import type { AuditLog } from './ports/audit-log.port';
import type { BatchQueue } from './ports/batch-queue.port';
import type { BatchStore } from './ports/batch-store.port';
import type { SnapshotWriter } from './ports/snapshot-writer.port';
import type { RecalculationDeps } from './domain/batch/recalculate';
import type { Chunk } from './domain/batch/batch';
import type { CohortStore } from './ports/cohort-store.port';
import type { CurriculumStore } from './ports/curriculum-store.port';
import type { PredictionCache } from './ports/prediction-cache.port';
import type { PredictionLog } from './ports/prediction-log.port';
import type { Pseudonymizer } from './ports/pseudonymizer.port';
import type { HealthProbe } from './ports/health.port';
import type { MasteryStore } from './ports/mastery-store.port';
import type { RecommendationStore } from './ports/recommendation-store.port';
import type { RateLimiter } from './ports/rate-limiter.port';

/**
 * Development only: a fixed key keeps pseudonyms (and so Redis keys) stable across restarts.
 * Production refuses to start without PSEUDONYM_KEY.
 */
const DEV_PSEUDONYM_KEY = 'mastery-engine-development-pseudonym-key';

/** Relative paths in settings are relative to the project, whatever the working directory. */
const PROJECT_ROOT = join(import.meta.dir, '..');

/** Reads and checks the curriculum file; its problems join the configuration errors. */
function loadCurriculum(path: string): { curriculum?: Curriculum; errors: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(resolve(PROJECT_ROOT, path), 'utf8'));
  } catch (err) {
    return { errors: [`CURRICULUM_FILE: cannot read ${path}: ${(err as Error).message}`] };
  }
  const parsed = parseCurriculum(raw);
  return parsed.ok ? { curriculum: parsed.curriculum, errors: [] } : { errors: parsed.errors.map((e) => `CURRICULUM_FILE (${path}): ${e}`) };
}

interface Backend {
  store: MasteryStore;
  cohorts: CohortStore;
  rateLimiter: RateLimiter;
  predictionCache: PredictionCache;
  predictionLog: PredictionLog;
  auditLog: AuditLog;
  recommendations: RecommendationStore;
  /**
   * Batch recalculation's stores: the batches, and the state store's own snapshot writes (past the
   * breaker: a failed chunk is retried anyway).
   */
  batch: { batches: BatchStore; snapshots: SnapshotWriter };
  curricula: CurriculumStore;
  probes: HealthProbe[];
  breakers: () => BreakerStatus[];
  /** Resolves when the backend can serve; start-up waits for it a bounded time. */
  ready: () => Promise<void>;
  close: () => Promise<void>;
}

/** The retention settings every backend's stores take alike, whichever service holds them. */
function storageSettings(config: Config, pseudonymize: Pseudonymizer) {
  return {
    retentionMs: config.state.idempotencyRetentionDays * DAY_MS,
    audit: { sha256, clock: systemClock, retentionMs: config.privacy.auditRetentionDays * DAY_MS },
    // Served recommendations are personal data like the state: kept as long, and at most a few
    // hundred per student (a fresh set at every change of state would otherwise grow without end).
    recommendationStorage: { cacheTtlMs: config.recommendation.cacheTtlSeconds * 1000, retentionMs: config.state.ttlDays * DAY_MS, maxRecords: 500, pseudonymize },
    batchTtl: { clock: systemClock, ttlMs: config.batch.ttlDays * DAY_MS, pseudonymize },
    // How long an erasure is remembered, to refuse late events: in ms for memory, in s for key TTLs.
    erasureRetentionMs: config.privacy.erasureRetentionDays * DAY_MS,
    erasureRetentionSeconds: ttlSeconds(config.privacy.erasureRetentionDays),
  };
}

function buildBackend(config: Config, log: Logger, pseudonymize: Pseudonymizer): Backend {
  const { retentionMs, audit, recommendationStorage, batchTtl, erasureRetentionMs, erasureRetentionSeconds } = storageSettings(config, pseudonymize);
  if (config.state.backend === 'memory') {
    const store = new MemoryMasteryStore({
      clock: systemClock,
      stateTtlMs: config.state.ttlDays * DAY_MS,
      idempotencyRetentionMs: retentionMs,
      erasureRetentionMs,
      pseudonymize,
    });
    return {
      store,
      cohorts: new MemoryCohortStore({ erasureRetentionMs, pseudonymize }),
      rateLimiter: new MemoryRateLimiter({ clock: systemClock }),
      predictionCache: new MemoryPredictionCache({ clock: systemClock, ttlMs: config.prediction.cacheTtlSeconds * 1000, pseudonymize }),
      predictionLog: new MemoryPredictionLog({ clock: systemClock, retentionDays: config.prediction.logRetentionDays, pseudonymize }),
      auditLog: new MemoryAuditLog(audit),
      recommendations: new MemoryRecommendationStore({ ...recommendationStorage, erasureRetentionMs }),
      batch: { batches: new MemoryBatchStore(batchTtl), snapshots: store },
      curricula: new MemoryCurriculumStore(),
      probes: [],
      breakers: () => [],
      ready: async () => {},
      close: async () => {},
    };
  }
  if (config.state.backend === 'dapr') return daprBackend(config, log, pseudonymize);
  const redis = connectRedis({ mode: config.state.redisMode, url: config.state.redisUrl }, config.state.redisCommandTimeoutMs);
  redis.on('error', (err) => log.warn({ error: err.message }, 'redis connection error'));
  const redisStore = new RedisMasteryStore(redis, {
    stateTtlSeconds: ttlSeconds(config.state.ttlDays),
    idempotencyRetentionMs: retentionMs,
    erasureRetentionSeconds,
    pseudonymize,
  });
  const store = new BreakerMasteryStore(redisStore, {
    name: 'redis-state',
    timeoutMs: config.breaker.timeoutMs,
    resetMs: config.breaker.resetMs,
    // A PING every 250 ms while open costs Redis nothing and lets writes resume within a fraction
    // of a second of its return, instead of after resetMs (5 s by default).
    recovery: { probe: () => pingAll(redis), everyMs: 250 },
  });
  store.onStateChange((state) => log.warn({ breaker: 'redis-state', state }, 'circuit breaker state changed'));
  return {
    store,
    cohorts: new RedisCohortStore(redis, { ttlSeconds: ttlSeconds(config.cohortTtlDays), erasureRetentionSeconds, pseudonymize }),
    rateLimiter: new RedisRateLimiter(redis, systemClock),
    predictionCache: new RedisPredictionCache(redis, { clock: systemClock, ttlSeconds: config.prediction.cacheTtlSeconds, pseudonymize }),
    predictionLog: new RedisPredictionLog(redis, { clock: systemClock, retentionDays: config.prediction.logRetentionDays, pseudonymize }),
    auditLog: new RedisAuditLog(redis, audit),
    recommendations: new RedisRecommendationStore(redis, { ...recommendationStorage, erasureRetentionSeconds }),
    batch: { batches: new RedisBatchStore(redis, batchTtl), snapshots: store },
    curricula: new RedisCurriculumStore(redis),
    probes: [redisProbe(redis)],
    breakers: () => [store.status()],
    ready: () => waitUntilReady(redis, 5000),
    close: async () => {
      store.shutdown();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * Every port on the Dapr state store the sidecar's component names (STATE_BACKEND=dapr), all
 * behind one circuit breaker: the sidecar is one dependency whichever port calls it.
 */
function daprBackend(config: Config, log: Logger, pseudonymize: Pseudonymizer): Backend {
  const state = new DaprState({ host: '127.0.0.1', httpPort: config.state.dapr.httpPort, storeName: config.state.dapr.stateStore, timeoutMs: config.breaker.timeoutMs, resetMs: config.breaker.resetMs });
  state.onStateChange((s) => log.warn({ breaker: 'dapr-state', state: s }, 'circuit breaker state changed'));
  const { retentionMs, audit, recommendationStorage, batchTtl, erasureRetentionSeconds } = storageSettings(config, pseudonymize);
  const store = new DaprMasteryStore(state, {
    clock: systemClock,
    stateTtlSeconds: ttlSeconds(config.state.ttlDays),
    idempotencyRetentionMs: retentionMs,
    erasureRetentionSeconds,
    pseudonymize,
  });
  return {
    store,
    cohorts: new DaprCohortStore(state, { ttlSeconds: ttlSeconds(config.cohortTtlDays), erasureRetentionSeconds, pseudonymize }),
    curricula: new DaprCurriculumStore(state),
    rateLimiter: new DaprRateLimiter(state, systemClock),
    predictionCache: new DaprPredictionCache(state, { clock: systemClock, ttlSeconds: config.prediction.cacheTtlSeconds, pseudonymize }),
    predictionLog: new DaprPredictionLog(state, { clock: systemClock, retentionDays: config.prediction.logRetentionDays, pseudonymize }),
    auditLog: new DaprAuditLog(state, audit),
    recommendations: new DaprRecommendationStore(state, { ...recommendationStorage, erasureRetentionSeconds }),
    batch: { batches: new DaprBatchStore(state, batchTtl), snapshots: store },
    probes: [{ name: 'dapr', check: () => state.check() }],
    breakers: () => [state.status()],
    ready: () => waitForSidecar(state, 5000),
    close: () => state.close(),
  };
}

/** Resolves once the sidecar answers its health check, rejects after `timeoutMs`. */
async function waitForSidecar(state: DaprState, timeoutMs: number): Promise<void> {
  const deadline = systemClock.now() + timeoutMs;
  for (;;) {
    try {
      return await state.check();
    } catch (err) {
      if (systemClock.now() > deadline) throw err;
      await Bun.sleep(100);
    }
  }
}

/**
 * The verification key. Outside production, a missing HS256 secret becomes a random one for this
 * run, and sample tokens for each role are printed to the terminal (never to the JSON log) so a
 * newcomer can call the API at once; they stop working when the process ends.
 */
async function authSettings(config: Config): Promise<{ settings: AuthSettings; devSecret?: Uint8Array }> {
  const { algorithm, issuer, audience, clockToleranceSeconds, maxAgeSeconds, requireTenant } = config.auth;
  const base = { algorithm, issuer, audience, clockToleranceSeconds, maxAgeSeconds, requireTenant };
  if (config.auth.algorithm !== 'HS256') {
    const pem = readFileSync(resolve(PROJECT_ROOT, config.auth.publicKeyFile!), 'utf8');
    return { settings: { ...base, key: await importSPKI(pem, config.auth.algorithm) } };
  }
  if (config.auth.secret !== undefined) return { settings: { ...base, key: new TextEncoder().encode(config.auth.secret) } };
  const devSecret = crypto.getRandomValues(new Uint8Array(32));
  return { settings: { ...base, key: devSecret }, devSecret };
}

/** Where the sample tokens are written for `source`, git-ignored and readable by the owner only. */
const DEV_TOKENS_FILE = join(PROJECT_ROOT, '.dev-tokens.env');

/** One token per role, signed with the development secret, valid 8 hours. */
async function signSampleTokens(secret: Uint8Array, config: Config): Promise<DevToken[]> {
  const signer = jwt({ name: 'jwt', secret, alg: 'HS256', iss: config.auth.issuer, aud: config.auth.audience }).decorator.jwt;
  const exp = Math.floor(systemClock.now() / 1000) + 8 * 3600;
  return Promise.all(
    ROLES.map(async (role) => {
      const subject = role === 'student' ? 'student-1' : `${role}-1`;
      return { role, subject, token: await signer.sign({ sub: subject, role, exp }) };
    }),
  );
}

function printSampleTokens(tokens: readonly DevToken[], config: Config): void {
  writeFileSync(DEV_TOKENS_FILE, tokens.map((t) => `export ${t.role.toUpperCase()}_TOKEN=${t.token}`).join('\n') + '\n', { mode: 0o600 });
  console.error(
    `\nJWT_SECRET is not set: using a random secret for this run (${config.appEnv}). Sample tokens, valid 8 hours, also in .dev-tokens.env:\n` +
      tokens.map((t) => `  ${t.role.padEnd(8)} (sub ${t.subject}): ${t.token}`).join('\n') +
      `\nTry: source .dev-tokens.env && curl -H "Authorization: Bearer $STUDENT_TOKEN" http://localhost:${config.port}/api/v1/students/student-1/mastery` +
      `\nOr open http://localhost:${config.port}/dashboard and sign in with the development teacher token.\n`,
  );
}

/**
 * Batch recalculation's queue and workers: chunks over Kafka, consumed by every replica in one
 * group, when brokers are configured; otherwise an in-process queue with the same priority rule.
 * The Kafka workers join their group in the background: start-up and the HTTP API do not wait for it.
 */
async function startBatch(config: Config, batches: BatchStore, recalculation: RecalculationDeps, registry: Registry, log: Logger): Promise<{ queue: BatchQueue; metrics: BatchMetrics; stop: () => Promise<void> }> {
  const metrics = registerBatchMetrics(registry);
  resetWaiting(metrics);
  const handle = observedChunkHandler({ batches, recalculation, clock: systemClock }, metrics, log.child({ component: 'batch' }));
  const retryMs = 500;
  if (config.kafka.brokers.length > 0) {
    const kafka = await startKafkaBatch({ config: config.kafka, batch: config.batch, clock: systemClock, log, handle, onLag: (lag) => resetWaiting(metrics, lag), retryMs });
    return { queue: kafka.queue, metrics, stop: kafka.stop };
  }
  const queue = new MemoryBatchQueue((chunk: Chunk) => handle(chunk), {
    clock: systemClock,
    concurrency: config.batch.concurrency,
    maxWaitMs: config.batch.maxWaitMs,
    retryMs,
    onWaiting: (counts) => resetWaiting(metrics, counts),
  });
  return { queue, metrics, stop: () => queue.stop() };
}

/** The composition root: configuration in, adapters built, ports handed to the core. */
export async function main(env: Record<string, string | undefined>): Promise<void> {
  const parsed = parseConfig(env);
  const curriculum = parsed.ok ? loadCurriculum(parsed.config.model.curriculumFile) : { errors: [] };
  const errors = [...(parsed.ok ? [] : parsed.errors), ...curriculum.errors];
  if (!parsed.ok || !curriculum.curriculum || errors.length > 0) {
    console.error(`mastery-engine: invalid configuration (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n  - ${errors.join('\n  - ')}`);
    process.exit(1);
  }
  const config = parsed.config;
  const log = createLogger(config.logLevel);
  if (!config.privacy.pseudonymKey) log.warn('PSEUDONYM_KEY is not set: using the fixed development key (never in production)');
  const pseudonymize = createPseudonymizer(config.privacy.pseudonymKey ?? DEV_PSEUDONYM_KEY);
  const backend = buildBackend(config, log, pseudonymize);
  // Serving before the store is reachable would answer the first requests 503; after the wait
  // the service starts anyway and /ready tells the orchestrator it is not ready yet.
  await backend.ready().catch((err: Error) => log.warn({ error: err.message }, 'state backend not ready at start-up'));
  const engine: EngineDeps = {
    store: backend.store,
    clock: systemClock,
    curricula: new CachedCurriculumSource({ store: backend.curricula, clock: systemClock, shipped: curriculum.curriculum, refreshMs: config.model.curriculumRefreshMs }),
    policy: { consistencyWindowDays: config.model.consistencyWindowDays, recencyHalfLifeDays: config.model.recencyHalfLifeDays, thresholds: config.model.thresholds },
    consentByDefault: config.privacy.consentByDefault,
    eventWindow: { maxSkewMs: config.state.maxEventSkewSeconds * 1000, idempotencyRetentionMs: config.state.idempotencyRetentionDays * DAY_MS },
  };
  const auth = await authSettings(config);
  const devTokens = auth.devSecret ? await signSampleTokens(auth.devSecret, config) : undefined;
  const metrics = createMetrics(backend.breakers);
  // Event-driven ingest when brokers are configured: the same engine, driven by Kafka.
  const kafka = config.kafka.brokers.length > 0 ? await startKafkaIngest({ config: config.kafka, engine, log, registry: metrics.registry }) : undefined;
  const predictionCache = new MeteredPredictionCache(backend.predictionCache, metrics.predictionCacheLookups);
  const stores = backend.batch;
  const batch = await startBatch(config, stores.batches, { ...engine, snapshots: stores.snapshots, predictionCache, ...(kafka ? { updates: kafka.updates } : {}) }, metrics.registry, log);
  const lifecycle: Lifecycle = { accepting: true, inFlight: 0 };
  const auditTrail = new AuditTrail(backend.auditLog, log, () => metrics.auditFailures.inc());
  const app = createApp({
    engine,
    prediction: config.prediction,
    analytics: config.analytics,
    cohorts: backend.cohorts,
    curriculumStore: backend.curricula,
    xapi: config.xapi,
    predictionCache,
    predictionLog: new MeteredPredictionLog(backend.predictionLog, metrics.predictionAccuracy),
    // In process with either backend: keyed by the fingerprint read from the store on each request.
    // A year's answer is about 150 kB of heap, so 256 answers bound it near 40 MB; ten minutes is
    // long enough for a teacher's session of looking back and forth, short enough that an
    // answer another replica's erasure made unreachable does not linger.
    historyCache: new MemoryAnswerCache({ clock: systemClock, maxEntries: 256, ttlMs: 600_000, pseudonymize }),
    // Mastery answers as sent, under the same kind of key (the evidence token read on each
    // request): a 12-topic answer is about 3 kB, so the default 4,096 of them about 12 MB (a
    // 100-topic one about 25 kB). Same ten minutes, for the same reason.
    masteryAnswers: new MemoryAnswerCache({ clock: systemClock, maxEntries: config.masteryAnswerCacheSize, ttlMs: 600_000, pseudonymize }),
    auditLog: backend.auditLog,
    auditTrail,
    recommendations: {
      store: backend.recommendations,
      ids: randomIds,
      settings: { threshold: config.recommendation.threshold, minutes: config.recommendation.minutes, reviewRetentionTarget: config.prediction.reviewRetentionTarget },
    },
    pseudonymize,
    ...(kafka ? { updates: kafka.updates } : {}),
    authenticate: createAuthenticator(auth.settings),
    rateLimiter: backend.rateLimiter,
    opsRateLimiter: new MemoryRateLimiter({ clock: systemClock }),
    metrics,
    logger: log,
    probes: backend.probes,
    // The HTTP API serves without Kafka: its outage degrades this instance, it does not unready it.
    optionalProbes: kafka ? [kafka.probe] : [],
    lifecycle,
    settings: config.http,
    invocation: config.invocation,
    info: {
      name: 'mastery-engine',
      version: packageJson.version,
      commit: config.commit,
      startedAt: systemClock.now(),
      backends: { state: config.state.backend, events: kafka ? 'http+kafka' : 'http', tls: config.tls ? 'on' : 'off' },
    },
    batch: { deps: { batches: stores.batches, queue: batch.queue, cohorts: backend.cohorts, ids: randomIds, clock: systemClock, curricula: engine.curricula, chunkSize: config.batch.chunkSize }, metrics: batch.metrics },
    ...(devTokens ? { dashboard: { devTokens } } : {}),
  }).listen({
    hostname: config.host,
    port: config.port,
    ...(config.tls ? { tls: { cert: Bun.file(resolve(PROJECT_ROOT, config.tls.certFile)), key: Bun.file(resolve(PROJECT_ROOT, config.tls.keyFile)) } } : {}),
  });
  log.info({ port: app.server?.port, backend: config.state.backend, env: config.appEnv }, 'mastery-engine listening');
  if (devTokens) printSampleTokens(devTokens, config);

  /**
   * SIGTERM: /ready turns 503 and new requests are refused at once; requests in flight finish;
   * then the server and the stores close. A deadline makes sure the process ends either way.
   */
  const stop = async (signal: string) => {
    lifecycle.accepting = false;
    log.info({ signal, in_flight: lifecycle.inFlight }, 'shutting down');
    const deadline = systemClock.now() + config.http.shutdownTimeoutMs - 500;
    const force = setTimeout(() => {
      log.warn({ in_flight: lifecycle.inFlight }, 'shutdown deadline reached; exiting');
      process.exit(0);
    }, config.http.shutdownTimeoutMs);
    force.unref();
    while (lifecycle.inFlight > 0 && systemClock.now() < deadline) await Bun.sleep(25);
    await app.stop(true);
    await auditTrail.flush();
    // The consumer commits what it applied and leaves its group while the store still works.
    await kafka?.stop();
    await batch.stop();
    await backend.close();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

if (import.meta.main) {
  // A failure to start (Kafka unreachable after its retries, a bad key file) ends the process with
  // one clear line and a non-zero status for the orchestrator to restart it, not a stack trace.
  await main(process.env).catch((err: Error) => {
    console.error(`mastery-engine: start-up failed: ${err.message}`);
    process.exit(1);
  });
}
