/**
 * `bun run bench`: throughput of the mastery core and its Redis adapter, each against a
 * baseline measured in the same run, so the ratios hold on a noisy machine; and where Redis
 * spends its time per apply (INFO commandstats of a redis-server of the bench's own). Writes
 * docs/benchmarks.md.
 */
import type Redis from 'ioredis';
import { createRedisClient, waitUntilReady } from '../src/adapters/redis/client';
import { RedisMasteryStore, ttlSeconds } from '../src/adapters/redis/mastery-store.redis';
import { ingestEvent, type EngineDeps } from '../src/domain/mastery/engine';
import { parseLearningEvent } from '../src/domain/mastery/event';
import { applyEvent, DAY_MS, type ModelPolicy, type TopicState } from '../src/domain/mastery/topic-state';
import type { Clock } from '../src/ports/clock.port';
import type { MasteryStore } from '../src/ports/mastery-store.port';
import { memoryStore, redisStoreOptions } from '../tests/support/stores';
import { benchEvent, commandStats, curricula, median, processCpuSeconds, redisCpuSeconds, statsBetween, topics, withPrivateRedis, writeBenchSection, type CommandStats } from './support';

/** The run's events, in wire format. */
const clock: Clock = { now: () => Date.parse('2026-02-01T00:00:00Z') };
const makeEvents = (run: string): unknown[] => Array.from({ length: EVENTS }, (_, i) => benchEvent(run, i, STUDENTS, clock.now()));

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const STUDENTS = 1_000;
const CONCURRENCY = 64;
const ROUNDS = 5;
/** About the size of a stored day snapshot. */
const SNAPSHOT_BYTES = 150;
/** Redis-backed apply against plain writes of the same data (HSET, HSET, ZADD in one MULTI). */
const TARGET_RATIO = 0.75;

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

/** Adds `b`'s calls and microseconds into `a`. */
function accumulate(a: CommandStats, b: CommandStats): void {
  for (const [cmd, x] of b) {
    const y = a.get(cmd) ?? { calls: 0, usec: 0 };
    a.set(cmd, { calls: y.calls + x.calls, usec: y.usec + x.usec });
  }
}

/** What Redis counted per command over a bench's phases, and the CPU both processes used. */
interface PhaseCost {
  stats: CommandStats;
  bunCpuSeconds: number;
  redisCpuSeconds: number;
  /** Growth of Redis's used_memory: what the phase left stored. */
  memoryBytes: number;
}
const noCost = (): PhaseCost => ({ stats: new Map(), bunCpuSeconds: 0, redisCpuSeconds: 0, memoryBytes: 0 });

const usedMemory = async (redis: Redis): Promise<number> => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? Number.NaN);

/** Runs `phase` and adds what it cost (Redis's per-command counts, CPU of this process and of Redis) to `into`. */
async function measured<T>(redis: Redis, into: PhaseCost, phase: () => Promise<T>): Promise<T> {
  const [before, redisBefore, memoryBefore] = [await commandStats(redis), await redisCpuSeconds(redis), await usedMemory(redis)];
  const bunBefore = processCpuSeconds(process.pid);
  const result = await phase();
  into.bunCpuSeconds += processCpuSeconds(process.pid) - bunBefore;
  into.redisCpuSeconds += (await redisCpuSeconds(redis)) - redisBefore;
  into.memoryBytes += (await usedMemory(redis)) - memoryBefore;
  accumulate(into.stats, statsBetween(before, await commandStats(redis)));
  return result;
}

async function measure(redisUrl: string) {
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
  const sameDataCost = noCost();
  const applyCost = noCost();
  const snapshot = 'x'.repeat(SNAPSHOT_BYTES);
  for (let r = 0; r < ROUNDS; r++) {
    const keys = Array.from({ length: EVENTS }, (_, i) => `bench:${runId}:${r}:${i % STUDENTS}:${i}`);
    baselineRates.push(await throughput(keys, CONCURRENCY, (k) => redis.set(k, value, 'EX', 600)));
    // The same data an apply stores (state, snapshot, event id), written plainly in one round trip.
    sameDataRates.push(
      await measured(redis, sameDataCost, () =>
        throughput(keys, CONCURRENCY, (k) => redis.multi().hset(`${k}:t`, 'topic', value).hset(`${k}:h`, 'day', snapshot).zadd(`${k}:e`, 1, k).exec()),
      ),
    );
    // Each round in a tenant of its own, so runs start from the same (empty) state.
    const deps = engineOn(store);
    const tenant = `${runId}-x${r}`;
    const events = makeEvents(tenant).map((e) => ({ ...(e as object), tenant_id: tenant }));
    applyRates.push(await measured(redis, applyCost, () => throughput(events, CONCURRENCY, (e) => ingestEvent(deps, e))));
  }
  const baseline = median(baselineRates);
  const redisApply = median(applyRates);
  report(`baseline: redis SET of ${value.length} bytes`, baselineRates);
  const sameData = report('plain writes of the same data (HSET, HSET, ZADD)', sameDataRates);
  report('redis ingest (validate + atomic idempotent apply)', applyRates);
  const ratio = median(applyRates.map((a, i) => a / sameDataRates[i]!));
  const setRatio = median(applyRates.map((a, i) => a / baselineRates[i]!));
  await redis.quit();

  // Redis time per apply, from what the server itself counted. EVALSHA's time includes the
  // commands the script calls, which are also counted under their own names; the reads before a
  // commit (HGET, ZSCORE on a cache miss) are separate calls.
  const applies = EVENTS * ROUNDS;
  const applyStats = applyCost.stats;
  const sameDataStats = sameDataCost.stats;
  const cpuUs = (seconds: number) => ((seconds / applies) * 1e6).toFixed(1);
  const us = (stats: CommandStats, cmd: string) => (stats.get(cmd)?.usec ?? 0) / applies;
  const readsBefore = ['hget', 'zscore'];
  // EVAL: ioredis's first call of a script the server has not cached yet.
  const scriptCalls = ['evalsha', 'eval'];
  const script = scriptCalls.reduce((a, cmd) => a + us(applyStats, cmd), 0);
  const inScript = [...applyStats].filter(([cmd]) => ![...scriptCalls, ...readsBefore, 'info'].includes(cmd));
  const inScriptUs = inScript.reduce((a, [cmd]) => a + us(applyStats, cmd), 0);
  const readsUs = readsBefore.reduce((a, cmd) => a + us(applyStats, cmd), 0);
  const applyRedisUs = script + readsUs;
  const plainRedisUs = us(sameDataStats, 'multi') + us(sameDataStats, 'exec');
  const perApply = (cmd: string) => ((applyStats.get(cmd)?.calls ?? 0) / applies).toFixed(2);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`cpu per apply: bun ${cpuUs(applyCost.bunCpuSeconds)} us, redis ${cpuUs(applyCost.redisCpuSeconds)} us; per plain write: bun ${cpuUs(sameDataCost.bunCpuSeconds)} us, redis ${cpuUs(sameDataCost.redisCpuSeconds)} us`);
  console.log(`redis memory per student: ${fmt(applyCost.memoryBytes / (STUDENTS * ROUNDS))} bytes`);
  console.log(`redis time per apply ${applyRedisUs.toFixed(1)} us (script ${script.toFixed(1)}, of it commands ${inScriptUs.toFixed(1)}; reads before a commit ${readsUs.toFixed(1)}); per plain write ${plainRedisUs.toFixed(1)} us`);
  console.log(`ratio redis ingest / plain writes of the same data (median of per-round ratios): ${(ratio * 100).toFixed(1)}% (target >= ${TARGET_RATIO * 100}%)`);
  const section = [
    '## State store: events applied per second',
    '',
    `${EVENTS.toLocaleString('en-US')} events (lessons, quizzes, code reviews, practice) over ${STUDENTS.toLocaleString('en-US')} students and ${topics.length} topics, ${CONCURRENCY} in flight; median of ${ROUNDS} rounds, the baselines and the Redis ingest alternating round by round. Redis is a \`redis-server\` of the bench's own on a free port (no persistence), so that nothing else shows in its per-command counts. The **baseline** is plain writes of the same data an apply stores (the topic state, ${value.length} bytes, the day snapshot, ${SNAPSHOT_BYTES} bytes, and the event id) in one \`MULTI\` per event, on the same connection, same concurrency, same run.`,
    '',
    '| measurement | events/s |',
    '| --- | ---: |',
    `| core reducer alone (\`applyEvent\`, no store) | ${fmt(reducer)} |`,
    `| core ingest, in-memory store (validate, curriculum check, idempotent apply, snapshot) | ${fmt(core)} |`,
    `| Redis \`SET\` of a value as large as a topic state, for scale | ${fmt(baseline)} |`,
    `| **baseline**: plain writes of the same data an apply stores (\`HSET\` state, \`HSET\` snapshot, \`ZADD\` event id in one \`MULTI\`) | ${fmt(sameData)} |`,
    `| core ingest, Redis store (one Lua commit per event, batched per tick: erasure, consent, idempotency, version check, state, snapshot, TTLs) | ${fmt(redisApply)} |`,
    '',
    `Per round (plain writes / apply, events/s): ${sameDataRates.map((x, i) => `${fmt(x)} / ${fmt(applyRates[i]!)}`).join('; ')}.`,
    '',
    `**Redis-backed apply / plain writes of the same data (median of the per-round ratios): ${(ratio * 100).toFixed(1)}%** (target: at least ${TARGET_RATIO * 100}%): ${ratio >= TARGET_RATIO ? 'met' : '**NOT met**'}. Against a plain \`SET\`: ${(setRatio * 100).toFixed(1)}%.`,
    '',
    '### Where Redis spends its time per apply',
    '',
    `From \`INFO commandstats\` of the bench's server over the apply phases (${applies.toLocaleString('en-US')} applies) and the plain-write phases. A script's time includes the commands it calls; those are also counted under their own names, so the difference is the script's own cost (arguments into Lua, the interpreter, the reply).`,
    '',
    '| command | calls per apply | µs per apply |',
    '| --- | ---: | ---: |',
    `| \`EVALSHA\` commit script (everything inside included) | ${perApply('evalsha')} | ${script.toFixed(1)} |`,
    ...inScript.sort((a, b) => b[1].usec - a[1].usec).map(([cmd]) => `| &nbsp;&nbsp;inside: \`${cmd.toUpperCase()}\` | ${perApply(cmd)} | ${us(applyStats, cmd).toFixed(1)} |`),
    `| &nbsp;&nbsp;the script's own cost (arguments, Lua, reply) | | ${(script - inScriptUs).toFixed(1)} |`,
    ...readsBefore.map((cmd) => `| read before a commit (version cache miss): \`${cmd.toUpperCase()}\` | ${perApply(cmd)} | ${us(applyStats, cmd).toFixed(1)} |`),
    `| **Redis time per apply** | | **${applyRedisUs.toFixed(1)}** |`,
    `| **Redis time per plain write** (\`MULTI\` … \`EXEC\`) | | **${plainRedisUs.toFixed(1)}** |`,
    '',
    `Redis's time is only part of an apply's cost. CPU used per event, over the same phases (\`/proc\` for the Bun process, \`INFO cpu\` for Redis, network and protocol included):`,
    '',
    '| | Bun process, µs CPU per event | Redis, µs CPU per event |',
    '| --- | ---: | ---: |',
    `| apply (validation, reducer, JSON, ioredis; commit script) | ${cpuUs(applyCost.bunCpuSeconds)} | ${cpuUs(applyCost.redisCpuSeconds)} |`,
    `| plain writes of the same data | ${cpuUs(sameDataCost.bunCpuSeconds)} | ${cpuUs(sameDataCost.redisCpuSeconds)} |`,
    '',
    `Memory: the apply phases left ${fmt(applyCost.memoryBytes / (STUDENTS * ROUNDS))} bytes of Redis \`used_memory\` per student (${EVENTS / STUDENTS} events each over ${topics.length} topics and 6 days: topic states, day snapshots, event ids for idempotency).`,
    '',
    'docs/scaling.md sizes replicas and Redis shards from the apply row and this memory figure.',
    '',
  ].join('\n');
  writeBenchSection('state-store', section, 'bun run bench');
  if (ratio < TARGET_RATIO) process.exitCode = 1;
}

await withPrivateRedis(measure);
