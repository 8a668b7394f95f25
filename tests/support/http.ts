import { expect } from 'bun:test';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import pino from 'pino';
import { createApp, type AppDeps } from '../../src/adapters/http/app';
import { createAuthenticator } from '../../src/adapters/http/auth';
import { createMasteryClient } from '../../src/client';
import type { Lifecycle } from '../../src/adapters/http/gate';
import { MemoryCohortStore } from '../../src/adapters/memory/cohort-store.memory';
import { AuditTrail } from '../../src/adapters/audit/audit-trail';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { randomIds } from '../../src/adapters/crypto/ids';
import { MemoryRecommendationStore } from '../../src/adapters/memory/recommendation-store.memory';
import { MemoryAuditLog } from '../../src/adapters/memory/audit-log.memory';
import { MemoryRateLimiter } from '../../src/adapters/memory/rate-limiter.memory';
import { createMetrics } from '../../src/adapters/observability/metrics';
import { MeteredPredictionCache } from '../../src/adapters/observability/prediction-cache.metered';
import { MeteredPredictionLog } from '../../src/adapters/observability/prediction-log.metered';
import { MemoryAnswerCache } from '../../src/adapters/memory/answer-cache.memory';
import { MemoryPredictionCache } from '../../src/adapters/memory/prediction-cache.memory';
import { MemoryPredictionLog } from '../../src/adapters/memory/prediction-log.memory';
import { MemoryBatchQueue } from '../../src/adapters/memory/batch-queue.memory';
import { MemoryBatchStore } from '../../src/adapters/memory/batch-store.memory';
import { observedChunkHandler, registerBatchMetrics } from '../../src/adapters/observability/batch-observer';
import type { EngineDeps } from '../../src/domain/mastery/engine';
import type { Role } from '../../src/domain/access/access';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { MemoryCurriculumStore } from '../../src/adapters/memory/curriculum-store.memory';
import { CachedCurriculumSource } from '../../src/adapters/memory/curriculum-source.cached';
import { shippedCurriculum } from './curriculum';
import { FixedClock } from './fixed-clock';
import type { RunningService } from './service-process';
import { uniqueId } from './services';
import { memoryStore, testPseudonymize } from './stores';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const ISSUER = 'mastery-engine';
export const AUDIENCE = 'learnflow';
export const NOW = Date.parse('2026-01-20T12:00:00Z');

/** The settings a service process in production mode needs besides its backend: the test JWT keys and a pseudonym key. */
export const productionEnv = {
  JWT_SECRET: SECRET,
  JWT_ISSUER: ISSUER,
  JWT_AUDIENCE: AUDIENCE,
  APP_ENV: 'production',
  PSEUDONYM_KEY: 'test-pseudonym-key-with-at-least-32-bytes',
};

const curriculum = shippedCurriculum;

export interface Claims {
  sub?: string;
  role?: string;
  tenant?: string;
  iss?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
  [k: string]: unknown;
}

/** Signs a token the way an identity provider would; every claim can be overridden or dropped (undefined). */
export async function token(claims: Claims = {}, key: Uint8Array | CryptoKey = new TextEncoder().encode(SECRET), alg = 'HS256'): Promise<string> {
  const nowS = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { sub: 'student-1', role: 'student', iss: ISSUER, aud: AUDIENCE, exp: nowS + 300, iat: nowS, ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

export const bearer = async (role: Role, sub: string, tenant?: string) => ({ authorization: `Bearer ${await token({ role, sub, ...(tenant ? { tenant } : {}) })}` });

/** Collects the JSON log lines an app writes, so tests can read them. */
export function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  return { logger: pino({ level: 'info', base: { service: 'mastery-engine' } }, stream), lines };
}

/** A complete app on the in-memory adapters, driven through `app.handle` (no socket). */
export function testApp(overrides: Partial<AppDeps> = {}) {
  const clock = new FixedClock(NOW);
  const logs = captureLogs();
  const lifecycle: Lifecycle = { accepting: true, inFlight: 0 };
  const auditLog = new MemoryAuditLog({ sha256, clock, retentionMs: 365 * DAY_MS });
  const metrics = overrides.metrics ?? createMetrics();
  const curriculumStore = new MemoryCurriculumStore();
  const store = memoryStore(clock);
  const engine: EngineDeps = {
    store,
    clock,
    curricula: new CachedCurriculumSource({ store: curriculumStore, clock, shipped: curriculum, refreshMs: 1000 }),
    policy: { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] },
    consentByDefault: true,
    eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS },
  };
  const predictionCache = new MeteredPredictionCache(new MemoryPredictionCache({ clock, ttlMs: 3600 * 1000, pseudonymize: testPseudonymize }), metrics.predictionCacheLookups);
  const cohorts = new MemoryCohortStore({ erasureRetentionMs: 30 * DAY_MS, pseudonymize: testPseudonymize });
  const batches = new MemoryBatchStore({ clock, ttlMs: 7 * DAY_MS, pseudonymize: testPseudonymize });
  const batchMetrics = registerBatchMetrics(metrics.registry);
  const recalculation = { ...engine, snapshots: store, predictionCache, ...(overrides.updates ? { updates: overrides.updates } : {}) };
  const batchQueue = new MemoryBatchQueue(observedChunkHandler({ batches, recalculation, clock }, batchMetrics, logs.logger), { clock, concurrency: 2, maxWaitMs: 60_000, retryMs: 10 });
  const deps: AppDeps = {
    engine,
    prediction: { reviewRetentionTarget: 0.9, intervention: { threshold: 0.5, declinePerWeek: 0.05, inactiveDays: 7 } },
    analytics: { minGroupSize: 5 },
    curriculumStore,
    xapi: { codeQualityVerb: 'https://learnflow.example/xapi/verbs/code-assessed', codeQualityExtension: 'https://learnflow.example/xapi/extensions/code-quality' },
    cohorts,
    predictionCache,
    predictionLog: new MeteredPredictionLog(new MemoryPredictionLog({ clock, retentionDays: 60, pseudonymize: testPseudonymize }), metrics.predictionAccuracy),
    historyCache: new MemoryAnswerCache({ clock, maxEntries: 64, ttlMs: 600_000, pseudonymize: testPseudonymize }),
    masteryAnswers: new MemoryAnswerCache({ clock, maxEntries: 64, ttlMs: 600_000, pseudonymize: testPseudonymize }),
    auditLog,
    auditTrail: new AuditTrail(auditLog, logs.logger, () => {}, 1),
    recommendations: {
      store: new MemoryRecommendationStore({ cacheTtlMs: 86_400_000, retentionMs: 90 * DAY_MS, maxRecords: 500, erasureRetentionMs: 30 * DAY_MS, pseudonymize: testPseudonymize }),
      ids: randomIds,
      settings: { threshold: 0.7, minutes: { review: 15, practice: 20, refactor: 25, schedule: 15 }, reviewRetentionTarget: 0.9 },
    },
    pseudonymize: testPseudonymize,
    authenticate: createAuthenticator({ algorithm: 'HS256', key: new TextEncoder().encode(SECRET), issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 30 }),
    rateLimiter: new MemoryRateLimiter({ clock }),
    opsRateLimiter: new MemoryRateLimiter({ clock }),
    metrics,
    logger: logs.logger,
    probes: [],
    lifecycle,
    settings: { rateLimitPerMinute: 1000, opsRateLimitPerMinute: 1000, bodyLimitBytes: 65_536, corsOrigins: ['https://app.learnflow.example'], metricsToken: undefined },
    invocation: { appApiToken: undefined, timeoutMs: 10_000 },
    info: { name: 'mastery-engine', version: '0.0.0-test', commit: 'test', startedAt: NOW - 5000, backends: { state: 'memory', events: 'http' } },
    batch: { deps: { batches, queue: batchQueue, cohorts, ids: randomIds, clock, curricula: engine.curricula, chunkSize: 3 }, metrics: batchMetrics },
    ...overrides,
  };
  const app = createApp(deps);
  const call = async (method: string, path: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => {
    const hasBody = opts.body !== undefined || opts.raw !== undefined;
    const res = await app.handle(
      new Request(`http://localhost${path}`, {
        method,
        headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        ...(hasBody ? { body: opts.raw ?? JSON.stringify(opts.body) } : {}),
      }),
    );
    const text = await res.text();
    // Elysia runs after-response hooks (metrics, the log line) just after handle() resolves.
    await Bun.sleep(1);
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
  return { app, deps, clock, logs: logs.lines, lifecycle, auditLog, call, batchQueue };
}

/** A wire event for the test tenant at the test clock's day. */
export const event = (overrides: Record<string, unknown> = {}) => ({
  event_id: `e-${crypto.randomUUID().slice(0, 8)}`,
  event_type: 'quiz.completed',
  student_id: 'student-1',
  topic_id: 'python-basics',
  occurred_at: '2026-01-20T10:00:00Z',
  data: { quiz_id: 'q1', score: 0.9 },
  ...overrides,
});

/**
 * One lesson.completed on `functions` posted through the typed client as the platform (it must be
 * applied), then the student's mastery read back through it as the student: the whole path on a
 * real socket. Returns what the read answered.
 */
export async function ingestOneLessonAndRead(url: string, tenant: string, studentId: string) {
  const platform = createMasteryClient(url, await token({ role: 'service', sub: 'platform', tenant }));
  const ingest = await platform.api.v1.events.post({
    event_id: uniqueId('e'),
    event_type: 'lesson.completed',
    student_id: studentId,
    topic_id: 'functions',
    occurred_at: new Date().toISOString(),
    data: { lesson_id: 'functions.defining' },
  });
  expect(ingest.status).toBe(202);
  expect(ingest.data?.applied).toBe(1);
  const student = createMasteryClient(url, await token({ role: 'student', sub: studentId, tenant }));
  const { data, status } = await student.api.v1.mastery.query.post({ student_id: studentId });
  expect(status).toBe(200);
  return data;
}

/** One JSON call to a service on a real socket as the holder of `auth`; the body parsed as JSON. */
export async function callJson(url: string, method: string, path: string, auth: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/**
 * 40 audited reads of a fresh tenant sent to two replicas at once, then (after `settleMs` for the
 * batched audit writes) that tenant's audit chain as verified through `a`: the verdict, for the
 * test to require one intact chain.
 */
export async function auditVerdictAfterConcurrentReads(a: RunningService, b: RunningService, settleMs: number) {
  const admin = await token({ role: 'admin', sub: 'admin-1', tenant: uniqueId('tenant') });
  await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/api/v1/students/s${i}/mastery`, { headers: { authorization: `Bearer ${admin}` } })));
  await Bun.sleep(settleMs);
  return (await callJson(a.url, 'GET', '/api/v1/compliance/audit/verify', admin)).json;
}
