/**
 * `bun run bench`: throughput of the mastery core and its Redis adapter, each against a
 * baseline measured in the same run, so the ratios hold on a noisy machine. Writes
 * docs/benchmarks.md.
 */
import { createRedisClient, waitUntilReady } from '../src/adapters/redis/client';
import { RedisMasteryStore, ttlSeconds } from '../src/adapters/redis/mastery-store.redis';
import { ingestEvent, type EngineDeps } from '../src/domain/mastery/engine';
import { parseLearningEvent } from '../src/domain/mastery/event';
import { applyEvent, DAY_MS, type ModelPolicy, type TopicState } from '../src/domain/mastery/topic-state';
import type { Clock } from '../src/ports/clock.port';
import type { MasteryStore } from '../src/ports/mastery-store.port';
import { requireService } from '../tests/support/services';
import { memoryStore, redisStoreOptions } from '../tests/support/stores';
import { benchEvent, curricula, topics, writeBenchSection } from './support';

/** The run's events, in wire format. */
const clock: Clock = { now: () => Date.parse('2026-02-01T00:00:00Z') };
const makeEvents = (run: string): unknown[] => Array.from({ length: EVENTS }, (_, i) => benchEvent(run, i, STUDENTS, clock.now()));

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const STUDENTS = 1_000;
const CONCURRENCY = 64;
const ROUNDS = 5;
/** About the size of a stored day snapshot. */
const SNAPSHOT_BYTES = 150;

const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };


/** Runs `task` over `items` with at most `limit` in flight; returns items per second. */
async function throughput<T>(items: T[], limit: number, task: (item: T) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
  return items.length / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function report(label: string, rates: number[]): number {
  const m = median(rates);
  console.log(`${label.padEnd(52)} ${Math.round(m).toLocaleString('en-US').padStart(10)} /s  (rounds: ${rates.map((x) => Math.round(x)).join(', ')})`);
  return m;
}

async function best(label: string, measure: (round: number) => Promise<number>): Promise<number> {
  const results: number[] = [];
  for (let r = 0; r < ROUNDS; r++) results.push(await measure(r));
  return report(label, results);
}

const engineOn = (store: MasteryStore): EngineDeps => ({ store, clock, curricula, policy, consentByDefault: true, eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS } });

async function main() {
  const redisUrl = requireService('REDIS_URL');
  const redis = createRedisClient(redisUrl, 5000);
  await waitUntilReady(redis, 5000);
  const runId = `bench-${Date.now()}`;

  console.log(`mastery-engine bench: ${EVENTS} events over ${STUDENTS} students, ${CONCURRENCY} in flight, median of ${ROUNDS} rounds`);

  // Baseline 1: the reducer alone, the floor of the core's own cost.
  const parsed = makeEvents(`${runId}-r`).map((e) => {
    const p = parseLearningEvent(e);
    if (!p.ok) throw new Error('bad bench event');
    return p.event;
  });
  const reducer = await best('core reducer (applyEvent, no store)', async () => {
    const states = new Map<string, TopicState>();
    const started = performance.now();
    for (const e of parsed) {
      const k = `${e.studentId}|${e.topicId}`;
      states.set(k, applyEvent(states.get(k), e, policy));
    }
    return parsed.length / ((performance.now() - started) / 1000);
  });

  const core = await best('core ingest (validate + apply, in-memory store)', async (r) => {
    const deps = engineOn(memoryStore(clock));
    const events = makeEvents(`${runId}-m${r}`);
    return throughput(events, CONCURRENCY, (e) => ingestEvent(deps, e));
  });

  // The size of a stored topic value, so the baseline writes as many bytes as an apply does.
  const sample = await (async () => {
    const deps = engineOn(memoryStore(clock));
    for (const e of makeEvents(`${runId}-size`).slice(0, 2_000)) await ingestEvent(deps, e);
    const all = await deps.store.listTopics({ tenantId: 'default', studentId: 's1' });
    return JSON.stringify([...all.values()][0]);
  })();
  const value = 'x'.repeat(sample.length);

  // Baseline and adapter alternate round by round, so a burst of load elsewhere on the machine
  // hits both sides of the ratio alike; the ratio reported is the median of the per-round ratios.
  const store = new RedisMasteryStore(redis, { ...redisStoreOptions, stateTtlSeconds: ttlSeconds(1), idempotencyRetentionMs: 0.5 * DAY_MS });
  const baselineRates: number[] = [];
  const sameDataRates: number[] = [];
  const applyRates: number[] = [];
  const snapshot = 'x'.repeat(SNAPSHOT_BYTES);
  for (let r = 0; r < ROUNDS; r++) {
    const keys = Array.from({ length: EVENTS }, (_, i) => `bench:${runId}:${r}:${i % STUDENTS}:${i}`);
    baselineRates.push(await throughput(keys, CONCURRENCY, (k) => redis.set(k, value, 'EX', 600)));
    // The same data an apply stores (state, snapshot, event id), written plainly in one round trip.
    sameDataRates.push(
      await throughput(keys, CONCURRENCY, (k) =>
        redis.multi().hset(`${k}:t`, 'topic', value).hset(`${k}:h`, 'day', snapshot).zadd(`${k}:e`, 1, k).exec(),
      ),
    );
    // Each round in a tenant of its own, so runs start from the same (empty) state.
    const deps = engineOn(store);
    const tenant = `${runId}-x${r}`;
    applyRates.push(await throughput(makeEvents(tenant).map((e) => ({ ...(e as object), tenant_id: tenant })), CONCURRENCY, (e) => ingestEvent(deps, e)));
  }
  const baseline = median(baselineRates);
  const redisApply = median(applyRates);
  const ratio = median(applyRates.map((a, i) => a / baselineRates[i]!));
  report(`baseline: redis SET of ${value.length} bytes`, baselineRates);
  const sameData = report('plain writes of the same data (HSET, HSET, ZADD)', sameDataRates);
  report('redis ingest (validate + atomic idempotent apply)', applyRates);
  const sameDataRatio = median(applyRates.map((a, i) => a / sameDataRates[i]!));

  await redis.quit();
  

  console.log(`ratio redis ingest / baseline (median of per-round ratios): ${(ratio * 100).toFixed(1)}% (target >= 50%)`);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const section = [
    '## State store: events applied per second',
    '',
    `${EVENTS.toLocaleString('en-US')} events (lessons, quizzes, code reviews, practice) over ${STUDENTS.toLocaleString('en-US')} students and ${topics.length} topics, ${CONCURRENCY} in flight; median of ${ROUNDS} rounds, the baseline and the Redis ingest alternating round by round. Redis is the local \`redis-server\` from \`bun run services:up\`; the baseline is a plain \`SET\` of a value as large as a stored topic state (${value.length} bytes) on the same connection, same concurrency, same run.`,
    '',
    '| measurement | events/s |',
    '| --- | ---: |',
    `| core reducer alone (\`applyEvent\`, no store) | ${fmt(reducer)} |`,
    `| core ingest, in-memory store (validate, curriculum check, idempotent apply, snapshot) | ${fmt(core)} |`,
    `| **baseline**: Redis \`SET\` of the same size | ${fmt(baseline)} |`,
    `| plain writes of the same data an apply stores (\`HSET\` state, \`HSET\` snapshot, \`ZADD\` event id in one \`MULTI\`) | ${fmt(sameData)} |`,
    `| core ingest, Redis store (read + one Lua commit: idempotency, version check, state, snapshot, TTLs) | ${fmt(redisApply)} |`,
    '',
    `**Redis-backed apply / baseline (median of the per-round ratios): ${(ratio * 100).toFixed(1)}%** (target: at least 50%). ${ratio >= 0.5 ? 'Target met.' : 'Target NOT met.'}`,
    '',
    `Against plain writes of the same data: ${(sameDataRatio * 100).toFixed(1)}%. The gap is what makes an apply safe, all inside one atomic script call per batch of commits: the erasure and consent checks, the idempotency check, the optimistic version check, and the daily TTL renewal (see ADR 0002); Redis spends about 30-50 us of CPU per apply against about 5 us per SET.`,
    '',
  ].join('\n');
  writeBenchSection('state-store', section, 'bun run bench');
  if (ratio < 0.5) process.exitCode = 1;
}


await main();
