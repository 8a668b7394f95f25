/**
 * `bun run bench` (dapr section): the mastery store's two hot paths, an event's apply and the
 * mastery query's read of a student's topics, on STATE_BACKEND=dapr (a real daprd, its state.redis
 * component on the test Redis) against STATE_BACKEND=redis on the same Redis in the same run. To
 * say where the time goes, it also times the bare hops each path is made of: one state read and
 * one conditional write through the sidecar, and one HGET straight to Redis. Each is measured
 * one at a time (latency) and saturated by 16 callers over 200 students (throughput).
 * Writes docs/benchmarks.md. Usage: scripts/bun.sh bench/dapr.ts   (env: BENCH_DAPR_SECONDS)
 */
import { systemClock } from '../src/adapters/clock/clock.system';
import { DaprMasteryStore } from '../src/adapters/dapr/mastery-store.dapr';
import { createRedisClient, waitUntilReady } from '../src/adapters/redis/client';
import { RedisMasteryStore } from '../src/adapters/redis/mastery-store.redis';
import { parseLearningEvent } from '../src/domain/mastery/event';
import { applyEvent, snapshotOf, type ModelPolicy, type TopicState } from '../src/domain/mastery/topic-state';
import type { MasteryStore } from '../src/ports/mastery-store.port';
import { startDaprState } from '../tests/support/dapr-state';
import { redisStoreOptions, testPseudonymize } from '../tests/support/stores';
import { requireService, uniqueId } from '../tests/support/services';
import { fmt, row, saturate, serial, type Run } from './loops';
import { benchEvent, curriculum, deleteKeys, writeBenchSection } from './support';

const SECONDS = Number(process.env.BENCH_DAPR_SECONDS ?? 5);
const STUDENTS = 200;
const WORKERS = 16;
const SERIAL = 400;
const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };

/** Applies bench event `i` of `run` for `tenant` through `store`, with the real reducer, as the engine does. */
async function applyOne(store: MasteryStore, tenant: string, run: string, i: number): Promise<void> {
  const parsed = parseLearningEvent({ ...benchEvent(run, i, STUDENTS, Date.now()), tenant_id: tenant });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const event = parsed.event;
  const lessons = curriculum.topics.get(event.topicId)?.lessons.length ?? 5;
  const outcome = await store.applyEvent(
    { tenantId: tenant, studentId: event.studentId, topicId: event.topicId, eventId: event.eventId, now: Date.now(), occurredAt: event.occurredAt, consentByDefault: true },
    (current: TopicState | undefined) => {
      const state = applyEvent(current, event, policy);
      return { state, snapshot: snapshotOf(event.topicId, state, lessons, policy) };
    },
  );
  if (outcome.kind !== 'applied') throw new Error(`bench event ${i} was ${outcome.kind}`);
}

interface Measured {
  applySerial: Run;
  applySaturated: Run;
  querySerial: Run;
  querySaturated: Run;
  /** Events applied in all. */
  applied: number;
}

async function measure(store: MasteryStore, tenant: string): Promise<Measured> {
  const run = uniqueId('run');
  let next = 0;
  const applySerial = await serial(() => applyOne(store, tenant, run, next++), SERIAL);
  const applySaturated = await saturate(() => applyOne(store, tenant, run, next++), SECONDS, WORKERS);
  const ref = (i: number) => ({ tenantId: tenant, studentId: `s${i % STUDENTS}` });
  let q = 0;
  const querySerial = await serial(() => store.listTopics(ref(q++)), SERIAL);
  const querySaturated = await saturate(async (i) => void (await store.listTopics(ref(i))), SECONDS, WORKERS);
  return { applySerial, applySaturated, querySerial, querySaturated, applied: next };
}

const redisUrl = requireService('REDIS_URL');
const redis = createRedisClient(redisUrl, 5000);
await waitUntilReady(redis, 5000);
const dapr = await startDaprState('redis');
const tenant = uniqueId('bench-dapr');
try {
  const daprState = dapr.client();
  const daprStore = new DaprMasteryStore(daprState, { clock: systemClock, ...redisStoreOptions, pseudonymize: testPseudonymize });
  const redisStore = new RedisMasteryStore(redis, redisStoreOptions);

  // Warm both paths (connections, JIT) before measuring.
  await measure(redisStore, `${tenant}-warm`).catch(() => undefined);
  const onRedis = await measure(redisStore, tenant);
  const onDapr = await measure(daprStore, tenant);

  // The bare hops, on one student's document and topics hash as the runs above left them.
  const docKey = `student:${tenant}/${testPseudonymize(tenant, 's1')}`;
  const doc = (await daprState.get<unknown>(docKey))!;
  const docBytes = JSON.stringify(doc.value).length;
  const sidecarRead = await serial(() => daprState.get(docKey), SERIAL);
  const rawUrl = `${dapr.daprd.url}/v1.0/state/statestore/${encodeURIComponent(docKey)}`;
  const rawRead = await serial(async () => void (await (await fetch(rawUrl)).arrayBuffer()), SERIAL);
  let etag = doc.etag;
  const sidecarWrite = await serial(async () => {
    if (!(await daprState.save(docKey, doc.value, { expect: { etag }, ttlSeconds: redisStoreOptions.stateTtlSeconds }))) throw new Error('lost the ETag');
    etag = (await daprState.get(docKey))!.etag;
  }, SERIAL / 2);
  const redisTopicsKey = `me:{${tenant}/${testPseudonymize(tenant, 's1')}}:topics`;
  const redisRead = await serial(() => redis.hgetall(redisTopicsKey), SERIAL);

  // A long-standing student: a year of daily snapshots for 12 topics, seeded into the student
  // document by copying a real snapshot; the first apply seals them into month documents, and the
  // applies after it are timed (the steady state), then a read of the whole year's history.
  const heavyId = 'heavy-learner';
  const heavyKey = `student:${tenant}/${testPseudonymize(tenant, heavyId)}`;
  const sample = Object.values((doc.value as { history: Record<string, { day: string; topicId: string }> }).history)[0]!;
  const yearHistory: Record<string, unknown> = {};
  for (let d = 0; d < 365; d++) {
    for (let t = 0; t < 12; t++) {
      const day = new Date(Date.now() - (d + 7) * 86_400_000).toISOString().slice(0, 10);
      yearHistory[`topic-${t}|${day}`] = { ...sample, topicId: `topic-${t}`, day };
    }
  }
  await daprState.update<Record<string, unknown>, void>(heavyKey, () => ({ value: { topics: {}, history: yearHistory, events: {} }, ttlSeconds: 3600, result: undefined }));
  const heavyBytes = JSON.stringify(yearHistory).length;
  let h = 0;
  const heavyOnce = async () => {
    const parsed = parseLearningEvent({ ...benchEvent(`heavy-${h}`, h++, 1, Date.now()), student_id: heavyId, tenant_id: tenant });
    if (!parsed.ok) throw new Error('bad heavy event');
    const event = parsed.event;
    await daprStore.applyEvent({ tenantId: tenant, studentId: heavyId, topicId: event.topicId, eventId: event.eventId, now: Date.now(), occurredAt: event.occurredAt, consentByDefault: true }, (current) => {
      const state = applyEvent(current, event, policy);
      return { state, snapshot: snapshotOf(event.topicId, state, 5, policy) };
    });
  };
  const sealStarted = performance.now();
  await heavyOnce();
  const sealMs = performance.now() - sealStarted;
  const heavyApply = await serial(heavyOnce, 30);
  const heavyDocBytes = JSON.stringify((await daprState.get(heavyKey))!.value).length;
  const yearRead = await serial(() => daprStore.getHistory({ tenantId: tenant, studentId: heavyId }), 30);

  const ratio = (d: Run, r: Run, key: 'rps' | 'p50' | 'p99') => fmt(d[key] / r[key], 2);
  const section = [
    '## Dapr state backend: apply and mastery query against Redis',
    '',
    `The mastery store on \`STATE_BACKEND=dapr\` (a real daprd 1.14.4, its \`state.redis\` component on the test Redis) against \`STATE_BACKEND=redis\` on the same Redis, in the same run: an event's apply (with the real reducer) and the mastery query's read of a student's topics, over ${STUDENTS} students, one at a time (${SERIAL} calls) and saturated by ${WORKERS} callers for ${SECONDS} s. Latencies in ms.`,
    '',
    '| path | req/s | p50 | p99 | max |',
    '|---|---:|---:|---:|---:|',
    row('apply, redis, one at a time', onRedis.applySerial),
    row('apply, dapr, one at a time', onDapr.applySerial),
    row(`apply, redis, ${WORKERS} callers`, onRedis.applySaturated),
    row(`apply, dapr, ${WORKERS} callers`, onDapr.applySaturated),
    row('query, redis, one at a time', onRedis.querySerial),
    row('query, dapr, one at a time', onDapr.querySerial),
    row(`query, redis, ${WORKERS} callers`, onRedis.querySaturated),
    row(`query, dapr, ${WORKERS} callers`, onDapr.querySaturated),
    row('hop: sidecar state read (SDK getBulk)', sidecarRead),
    row('hop: sidecar state read (plain fetch GET)', rawRead),
    row('hop: sidecar conditional write + read', sidecarWrite),
    row('hop: Redis HGETALL direct', redisRead),
    row(`apply, dapr, a student with a year of 12 topics' history (sealed)`, heavyApply),
    row(`history read, dapr, that year (${fmt(heavyBytes / 1024, 0)} KiB of snapshots)`, yearRead),
    '',
    `Ratios dapr / redis: apply p50 ${ratio(onDapr.applySerial, onRedis.applySerial, 'p50')}×, apply throughput ${ratio(onDapr.applySaturated, onRedis.applySaturated, 'rps')}×; query p50 ${ratio(onDapr.querySerial, onRedis.querySerial, 'p50')}×, query throughput ${ratio(onDapr.querySaturated, onRedis.querySaturated, 'rps')}×.`,
    '',
    `Where the time goes: a Dapr apply is two sidecar round trips, a read of the student's document with its ETag (${fmt(sidecarRead.p50, 2)} ms p50 through the SDK's getBulk, ${fmt(rawRead.p50, 2)} ms as a plain GET: the SDK's share) and a conditional write (${fmt(sidecarWrite.p50 - sidecarRead.p50, 2)} ms p50), each of them an HTTP request to daprd, which runs its own Lua script on Redis (the write also an EXPIRE); the Redis backend applies in one script call, usually without the read (its version cache). A query is one sidecar read against one HGETALL (${fmt(redisRead.p50, 2)} ms p50). The document is the student's whole state (${fmt(docBytes / 1024, 1)} KiB here, after ${fmt(onDapr.applied / STUDENTS, 0)} events per student over 6 days), parsed by daprd and by us on every hop; it would grow with the student's history (which the Redis backend keeps in a hash an apply never reads), so past 120 snapshots the final ones move to month documents: a student with a year of 12 topics' snapshots (${fmt(heavyBytes / 1024, 0)} KiB) keeps a ${fmt(heavyDocBytes / 1024, 1)} KiB document and applies in ${fmt(heavyApply.p50, 2)} ms p50; the one apply that sealed the year took ${fmt(sealMs, 0)} ms, and reading the year's history is 13 documents in one bulk read. Under ${WORKERS} callers the sidecar, the service and Redis share the same 2 cores.`,
    '',
  ].join('\n');
  writeBenchSection('dapr', section, 'scripts/bun.sh bench/dapr.ts');
  console.log(section);
  await daprState.close();
} finally {
  await deleteKeys(redis, [`me:{${tenant}*`]);
  await dapr.stop();
  await redis.quit();
}
