import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { systemClock } from './adapters/clock/clock.system';
import { createApp } from './adapters/http/app';
import { MemoryMasteryStore } from './adapters/memory/mastery-store.memory';
import { createLogger } from './adapters/observability/logger';
import { createRedisClient, redisProbe } from './adapters/redis/client';
import { RedisMasteryStore, ttlSeconds } from './adapters/redis/mastery-store.redis';
import { BreakerMasteryStore } from './adapters/resilience/mastery-store.breaker';
import { parseConfig, type Config } from './config/config';
import { parseCurriculum, type Curriculum } from './domain/curriculum';
import type { EngineDeps } from './domain/engine';
import { DAY_MS } from './domain/topic-state';
import type { HealthProbe } from './ports/health.port';
import type { MasteryStore } from './ports/mastery-store.port';

/** Reads and checks the curriculum file; its problems join the configuration errors. */
function loadCurriculum(path: string): { curriculum?: Curriculum; errors: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { errors: [`CURRICULUM_FILE: cannot read ${path}: ${(err as Error).message}`] };
  }
  const parsed = parseCurriculum(raw);
  return parsed.ok ? { curriculum: parsed.curriculum, errors: [] } : { errors: parsed.errors.map((e) => `CURRICULUM_FILE (${path}): ${e}`) };
}

interface Backend {
  store: MasteryStore;
  probes: HealthProbe[];
  close: () => Promise<void>;
}

function buildBackend(config: Config, log: Logger): Backend {
  const retentionMs = config.state.idempotencyRetentionDays * DAY_MS;
  if (config.state.backend === 'memory') {
    const store = new MemoryMasteryStore({ clock: systemClock, stateTtlMs: config.state.ttlDays * DAY_MS, idempotencyRetentionMs: retentionMs });
    return { store, probes: [], close: async () => {} };
  }
  const redis = createRedisClient(config.state.redisUrl, config.state.redisCommandTimeoutMs);
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const store = new BreakerMasteryStore(new RedisMasteryStore(redis, { stateTtlSeconds: ttlSeconds(config.state.ttlDays), idempotencyRetentionMs: retentionMs }), {
    name: 'redis-state',
    timeoutMs: config.breaker.timeoutMs,
    resetMs: config.breaker.resetMs,
  });
  store.onStateChange((state) => log.warn({ breaker: 'redis-state', state }, 'circuit breaker state changed'));
  return {
    store,
    probes: [redisProbe(redis)],
    close: async () => {
      store.shutdown();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The composition root: configuration in, adapters built, ports handed to the core. */
export function main(env: Record<string, string | undefined>): void {
  const parsed = parseConfig(env);
  const curriculum = parsed.ok ? loadCurriculum(parsed.config.model.curriculumFile) : { errors: [] };
  const errors = [...(parsed.ok ? [] : parsed.errors), ...curriculum.errors];
  if (!parsed.ok || !curriculum.curriculum || errors.length > 0) {
    console.error(`mastery-engine: invalid configuration (${errors.length} problem${errors.length === 1 ? '' : 's'}):\n  - ${errors.join('\n  - ')}`);
    process.exit(1);
  }
  const config = parsed.config;
  const log = createLogger(config.logLevel);
  const backend = buildBackend(config, log);
  const engine: EngineDeps = {
    store: backend.store,
    clock: systemClock,
    curriculum: curriculum.curriculum,
    policy: { consistencyWindowDays: config.model.consistencyWindowDays, recencyHalfLifeDays: config.model.recencyHalfLifeDays, thresholds: config.model.thresholds },
  };
  void engine;
  let accepting = true;
  const app = createApp({ probes: backend.probes, accepting: () => accepting }).listen({ hostname: config.host, port: config.port });
  log.info({ port: app.server?.port, backend: config.state.backend, env: config.appEnv }, 'mastery-engine listening');

  const stop = async (signal: string) => {
    accepting = false;
    log.info({ signal }, 'shutting down');
    await app.stop();
    await backend.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

if (import.meta.main) main(process.env);
