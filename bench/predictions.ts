/**
 * Prediction bench: `POST /api/v1/predictions/next-week` for a student with 12 topics × 120 days of
 * history on the Redis backend, through the whole app (auth, audit, route, use case), in process
 * (`app.handle`, no socket). Measures the uncached answer's p99 at half of its own capacity, and the
 * cached answer's throughput against `POST /api/v1/mastery/query` for the same student in the same
 * run. Writes the `predictions` section of docs/benchmarks.md; exits non-zero on a missed target.
 * Usage: scripts/bun.sh bench/predictions.ts
 */
import { createRedisClient, waitUntilReady } from '../src/adapters/redis/client';
import { RedisMasteryStore } from '../src/adapters/redis/mastery-store.redis';
import { RedisPredictionCache } from '../src/adapters/redis/prediction-cache.redis';
import { RedisPredictionLog } from '../src/adapters/redis/prediction-log.redis';
import { parseLearningEvent } from '../src/domain/mastery/event';
import { applyEvent, DAY_MS, snapshotOf, type TopicState } from '../src/domain/mastery/topic-state';
import { bearer, NOW, testApp } from '../tests/support/http';
import { requireService } from '../tests/support/services';
import { redisStoreOptions, testPseudonymize } from '../tests/support/stores';
import { paced, saturate } from './loops';
import { topics, writeBenchSection } from './support';

const DAYS = 120;
const SECONDS = Number(process.env.BENCH_PREDICTIONS_SECONDS ?? 4);
const TARGET_P99_MS = 20;
const TARGET_CACHED_RATIO = 0.8;

const redis = createRedisClient(requireService('REDIS_URL'), 2000);
await waitUntilReady(redis, 5000);
const clock = { now: () => NOW };
const store = new RedisMasteryStore(redis, redisStoreOptions);
const base = testApp();
const app = testApp({
  engine: { ...base.deps.engine, store },
  predictionCache: new RedisPredictionCache(redis, { clock, ttlSeconds: 3600, pseudonymize: testPseudonymize }),
  predictionLog: new RedisPredictionLog(redis, { clock, retentionDays: 60, pseudonymize: testPseudonymize }),
});
// The bench measures the work of an answer, not the per-principal quota.
app.deps.settings.rateLimitPerMinute = 1_000_000;
const { call } = app;
const tenantId = 'default';
const studentId = `predbench-${Date.now().toString(36)}`;
const policy = base.deps.engine.policy;

// 120 days of history on every topic: an event most days (a quiz, a lesson while any is left).
let applied = 0;
for (const topic of topics) {
  let state: TopicState | undefined;
  for (let d = DAYS; d >= 1; d--) {
    if ((d * 7 + topic.topicId.length) % 5 === 0) continue;
    const at = NOW - d * DAY_MS;
    const lesson = topic.lessons[(DAYS - d) % topic.lessons.length]!;
    const wire = d % 3 === 0 ? { event_type: 'lesson.completed', data: { lesson_id: lesson } } : { event_type: 'quiz.completed', data: { quiz_id: `q${d}`, score: ((d * 37) % 100) / 100 } };
    const parsed = parseLearningEvent({ event_id: `${studentId}-${topic.topicId}-${d}`, student_id: studentId, topic_id: topic.topicId, occurred_at: new Date(at).toISOString(), ...wire });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const event = parsed.event;
    const outcome = await store.applyEvent(
      { tenantId, studentId, topicId: topic.topicId, eventId: event.eventId, now: at, occurredAt: at, consentByDefault: true },
      (current) => {
        state = applyEvent(current, event, policy);
        return { state, snapshot: snapshotOf(topic.topicId, state, topic.lessons.length, policy) };
      },
    );
    if (outcome.kind === 'applied') applied++;
  }
}

const admin = await bearer('admin', 'admin-1');
const nextWeek = (asOf?: string) => call('POST', '/api/v1/predictions/next-week', { body: { student_id: studentId, ...(asOf ? { as_of: asOf } : {}) }, headers: admin });
const query = () => call('POST', '/api/v1/mastery/query', { body: { student_id: studentId }, headers: admin });

const first = await nextWeek();
if (first.status !== 200 || first.json.topics.length !== topics.length) throw new Error(`unexpected answer: ${first.status} ${first.text.slice(0, 200)}`);

/** Fails the run on any answer but 200: a fast error must not pass for a fast answer. */
const ok = (send: () => Promise<{ status: number }>) => async () => {
  const res = await send();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
};

// Uncached: a distinct as_of per request (every few seconds of one day) makes every key new.
let k = 0;
const uncached = () => nextWeek(new Date(NOW - 3_600_000 + (k++ % 3_000_000)).toISOString());

const capacity = (await saturate(ok(uncached), SECONDS, 1)).rps;
const atHalf = await paced(ok(uncached), capacity * 0.5, SECONDS);
const cachedRate = (await saturate(ok(() => nextWeek()), SECONDS, 1)).rps;
const queryRate = (await saturate(ok(query), SECONDS, 1)).rps;
const p99 = atHalf.p99;
const ratio = cachedRate / queryRate;
await redis.quit();

const pass = (ok: boolean) => (ok ? 'met' : 'NOT met');
const section = `## Predictions: next-week on Redis

One student with ${topics.length} topics × ${DAYS} days of history (${applied.toLocaleString('en')} events, ${DAYS * topics.length} day snapshots at most) on the local Redis, through the whole app in process (\`app.handle\`: auth, audit, route, use case; no socket). ${SECONDS} s per measurement.

| measurement | value |
| --- | ---: |
| uncached next-week, capacity (one at a time) | ${capacity.toFixed(0)} req/s |
| uncached next-week at 50% of capacity (${(capacity * 0.5).toFixed(0)} req/s): p50 / p99 | ${atHalf.p50.toFixed(2)} ms / **${p99.toFixed(2)} ms** |
| cached next-week (one at a time) | ${cachedRate.toFixed(0)} req/s |
| **baseline**: \`POST /api/v1/mastery/query\`, same student, same run | ${queryRate.toFixed(0)} req/s |

**Uncached p99 at half capacity: ${p99.toFixed(2)} ms** (target at most ${TARGET_P99_MS} ms): ${pass(p99 <= TARGET_P99_MS)}.
**Cached / mastery query: ${(ratio * 100).toFixed(1)}%** (target at least ${TARGET_CACHED_RATIO * 100}%): ${pass(ratio >= TARGET_CACHED_RATIO)}.

An uncached answer reads the student's evidence token (one \`HGET\`, for the cache key) and their whole history (one \`HVALS\` of the day snapshots), rebuilds each topic's daily values, and runs the model per topic; a cached one reads the token and one cache entry.
`;
writeBenchSection('predictions', section, 'bun run bench');
console.log(section);
if (p99 > TARGET_P99_MS || ratio < TARGET_CACHED_RATIO) process.exit(1);
