/**
 * End-to-end Kafka ingest bench (`bun bench/ingest.ts`): produce 100,000 events to a fresh topic
 * per round on the real broker, then time (1) kafkajs consuming the first round's with no
 * processing, the raw rate, (2) the same number of events applied straight to the same Redis store
 * with no Kafka in between (the baseline, before the first round and after each), and (3) in each
 * round, the real consumer (startKafkaIngest, Redis store behind the breaker, as main.ts builds it)
 * applying them all; then the event-to-state latency at half the measured rate. Both paths are
 * warmed up untimed first, and each timed run starts on an emptied Redis. Writes its own section
 * of docs/benchmarks.md. Env: BENCH_KAFKA_EVENTS, BENCH_KAFKA_ROUNDS (3).
 */
import type Redis from 'ioredis';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startKafkaIngest } from '../src/adapters/kafka/kafka-ingest';
import { createRedisClient, waitUntilReady } from '../src/adapters/redis/client';
import { RedisMasteryStore, ttlSeconds } from '../src/adapters/redis/mastery-store.redis';
import { BreakerMasteryStore } from '../src/adapters/resilience/mastery-store.breaker';
import { parseConfig, type KafkaConfig } from '../src/config/config';
import { ingestEvent, type EngineDeps } from '../src/domain/mastery/engine';
import { DAY_MS, type TopicState } from '../src/domain/mastery/topic-state';
import type { ApplyOutcome, ApplyRequest, TopicChange } from '../src/ports/mastery-store.port';
import { requireService } from '../tests/support/services';
import { benchEvent, curricula, localBrokerPid, median, processCpuSeconds, redisCpuSeconds, withPrivateRedis, writeBenchSection } from './support';

const EVENTS = Number(process.env.BENCH_KAFKA_EVENTS ?? 100_000);
const STUDENTS = 10_000;
const PARTITIONS = 6;
const LATENCY_SECONDS = 10;
/** End to end against the same run's Redis-backed apply without Kafka. */
const TARGET_RATIO = 0.8;
const TARGET_RATE = 10_000;
/** Events in flight in the baseline: as in the state-store bench (bench/run.ts). */
const DIRECT_CONCURRENCY = 64;
const TARGET_P99_MS = 500;
/** Kafka runs, each between two direct applies: the ratio is the median of the rounds'. */
const ROUNDS = Number(process.env.BENCH_KAFKA_ROUNDS ?? 3);

/**
 * Notes the store's writes for the timings: how many, the last, and each one's time
 * only when asked (the latency phase). In scratch runs of the direct apply, an earlier recorder (a
 * Proxy over the store, binding each method it handed out, and a Map of every event's write time)
 * cost 2 µs of this process's CPU per event and 5-17% of the rate, and only the consumer carried
 * it; this one costs about 0.4 µs, and both sides carry it.
 */
class WriteRecorder {
  /** Applied events' ids: a push per event, no hashing. */
  private readonly applied: string[] = [];
  /** Duplicates' ids. Rare: a retry after a timed-out reply, or a redelivery after a failed batch. */
  private readonly duplicates = new Set<string>();
  last = 0;

  constructor(private readonly times?: Map<string, number>) {}

  note(eventId: string, outcome: ApplyOutcome): void {
    if (outcome.kind !== 'applied' && outcome.kind !== 'duplicate') return;
    const t = performance.now();
    // A duplicate counts: the retry of a commit whose reply timed out may be the one that wrote.
    if (outcome.kind === 'applied') this.applied.push(eventId);
    else this.duplicates.add(eventId);
    this.last = t;
    if (this.times && !this.times.has(eventId)) this.times.set(eventId, t);
  }

  /** Whether `n` distinct events were written: one applied and later redelivered counts once. */
  reached(n: number): boolean {
    if (this.applied.length + this.duplicates.size < n) return false;
    return this.duplicates.size === 0 || new Set([...this.applied, ...this.duplicates]).size >= n;
  }
}

/** The store as main.ts builds it (Redis behind the breaker), noting each completed write in `recorder`. */
class RecordingStore extends BreakerMasteryStore {
  recorder = new WriteRecorder();

  override applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    return super.applyEvent(req, change).then((outcome) => {
      this.recorder.note(req.eventId, outcome);
      return outcome;
    });
  }
}

/** Event `i` of a run as the wire carries it: the JSON envelope, in the run's tenant. */
const wireEvent = (run: string, i: number): string => JSON.stringify({ ...benchEvent(run, i, STUDENTS, Date.now()), tenant_id: run });
/** The same as a Kafka message, keyed by its student. */
const eventMessage = (run: string, i: number) => ({ key: `s${i % STUDENTS}`, value: wireEvent(run, i) });

async function produceAll(producer: Producer, topic: string, run: string, from: number, count: number): Promise<void> {
  const chunk = 5000;
  for (let i = from; i < from + count; i += chunk) {
    const n = Math.min(chunk, from + count - i);
    await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, k) => eventMessage(run, i + k)) });
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** Raw rate: a kafkajs consumer that only counts, from its first message to the last. */
async function rawConsumeRate(kafka: Kafka, topic: string): Promise<number> {
  const consumer = kafka.consumer({ groupId: `${topic}.raw` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let first = 0;
  let last = 0;
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      if (seen === 0) first = performance.now();
      seen += batch.messages.length;
      last = performance.now();
    },
  });
  await waitUntil(() => seen >= EVENTS, 120_000, 'the raw consumer');
  await consumer.disconnect();
  return EVENTS / ((last - first) / 1000);
}

/**
 * The baseline: the same events, parsed from the same JSON, applied straight to the store through
 * the core (`ingestEvent`), `DIRECT_CONCURRENCY` in flight, in a tenant of their own so none is a
 * duplicate of what the consumer applies. What Kafka adds on top is the difference.
 */
async function directApplyRate(engine: EngineDeps, tenant: string): Promise<number> {
  const wire = Array.from({ length: EVENTS }, (_, i) => wireEvent(tenant, i));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: DIRECT_CONCURRENCY }, async () => {
      while (next < wire.length) {
        const outcome = await ingestEvent(engine, JSON.parse(wire[next++]!));
        if (outcome.kind !== 'applied') throw new Error(`bench: direct apply was ${outcome.kind}`);
      }
    }),
  );
  return EVENTS / ((performance.now() - started) / 1000);
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

/** CPU seconds used so far by this process, the bench's Redis and the local broker (0 when `brokerPid` names none). */
interface CpuReading {
  bun: number;
  redis: number;
  broker: number;
}

async function cpuSeconds(redis: Redis, brokerPid: number | undefined): Promise<CpuReading> {
  return { bun: processCpuSeconds(process.pid), redis: await redisCpuSeconds(redis), broker: brokerPid === undefined ? 0 : processCpuSeconds(brokerPid) };
}

/** CPU microseconds per event of each, between two readings of cpuSeconds. */
interface Cost {
  bunUs: number;
  redisUs: number;
  brokerUs: number;
}

const costPerEvent = (before: CpuReading, after: CpuReading, events: number): Cost => ({
  bunUs: ((after.bun - before.bun) / events) * 1e6,
  redisUs: ((after.redis - before.redis) / events) * 1e6,
  brokerUs: ((after.broker - before.broker) / events) * 1e6,
});

/** A round's CPU per event, for the console. */
const costLine = (c: Cost): string => `µs CPU per event: this process ${c.bunUs.toFixed(1)}, Redis ${c.redisUs.toFixed(1)}, broker ${c.brokerUs.toFixed(1)}`;

/** This run's topics and consumer group for one round: a fresh topic per round, so each round consumes its own events. */
function roundConfig(base: KafkaConfig, run: string): KafkaConfig {
  return { ...base, groupId: `${run}.group`, topics: { events: `${run}.events`, dlq: `${run}.dlq`, updates: `${run}.updated` } };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function measure(redisUrl: string) {
  const brokers = requireService('KAFKA_BROKERS').split(',');
  const run = `bench-${Date.now()}`;
  // The service's defaults, with topics and group of each round's own.
  const defaults = parseConfig({ KAFKA_BROKERS: brokers.join(',') });
  if (!defaults.ok) throw new Error(defaults.errors.join('; '));
  const base: KafkaConfig = { ...defaults.config.kafka, clientId: 'mastery-engine-bench', partitionConcurrency: PARTITIONS };
  const rounds = Array.from({ length: ROUNDS }, (_, r) => ({ run: `${run}-r${r}`, config: roundConfig(base, `${run}-r${r}`) }));
  const warmUp = { run: `${run}-warm-up`, config: roundConfig(base, `${run}-warm-up`) };
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const allTopics = [warmUp, ...rounds].flatMap((r) => Object.values(r.config.topics));
  await admin.createTopics({ waitForLeaders: true, topics: allTopics.map((topic) => ({ topic, numPartitions: PARTITIONS })) });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const redis = createRedisClient(redisUrl, 2000);
  await waitUntilReady(redis, 5000);

  try {
    console.log(`kafka ingest bench: ${EVENTS.toLocaleString('en-US')} events, ${STUDENTS.toLocaleString('en-US')} students, ${PARTITIONS} partitions, ${ROUNDS} rounds`);
    for (const r of [warmUp, ...rounds]) await produceAll(producer, r.config.topics.events, r.run, 0, EVENTS);
    const raw = await rawConsumeRate(kafka, rounds[0]!.config.topics.events);
    console.log(`raw kafkajs consume (no processing):  ${Math.round(raw).toLocaleString('en-US')} events/s`);

    const store = new RecordingStore(new RedisMasteryStore(redis, { stateTtlSeconds: ttlSeconds(8), idempotencyRetentionMs: 7 * DAY_MS, erasureRetentionSeconds: ttlSeconds(1), pseudonymize: (_tenantId, studentId) => studentId }), { name: 'redis-state', timeoutMs: 1000, resetMs: 5000 });
    // One engine and store for both sides: the same recorder costs the same on each.
    const engine: EngineDeps = { store, clock: { now: () => Date.now() }, curricula, policy: { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] }, consentByDefault: true, eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS } };
    const log = pino({ level: 'warn' });
    const brokerPid = localBrokerPid();
    const direct: (Cost & { rate: number })[] = [];
    const kafkaRounds: (Cost & { rate: number })[] = [];
    // Each timed run starts on an empty Redis. Without that, in scratch runs, the direct applies'
    // Redis CPU per event grew with the keys earlier runs had left (13-14 µs on an empty server,
    // 15-22 µs later) while the consumer's barely moved, which flattered the consumer's ratio.
    const emptyRedis = () => redis.flushall('SYNC');
    /**
     * Runs a consumer of `config`, its writes noted in `recorder`, for as long as `work` takes.
     * `work` gets the time the consumer started: it has joined its group, and its first fetch is
     * on the way (kafkajs schedules it as `consumer.run` resolves).
     */
    const withConsumer = async <T>(config: KafkaConfig, recorder: WriteRecorder, work: (startedAt: number) => Promise<T>): Promise<T> => {
      store.recorder = recorder;
      const ingest = await startKafkaIngest({ config, engine, log, registry: new Registry() });
      try {
        return await work(performance.now());
      } finally {
        await ingest.stop();
      }
    };
    const directRound = async (i: number) => {
      await emptyRedis();
      const before = await cpuSeconds(redis, brokerPid);
      store.recorder = new WriteRecorder();
      const rate = await directApplyRate(engine, `${run}-direct-${i}`);
      direct.push({ rate, ...costPerEvent(before, await cpuSeconds(redis, brokerPid), EVENTS) });
      console.log(`redis-backed apply, no kafka:         ${Math.round(rate).toLocaleString('en-US')} events/s (${costLine(direct.at(-1)!)})`);
    };
    // Untimed, each path once: a process's first applies run cold (JIT, heap growth). In scratch
    // runs each path kept getting cheaper over its first few hundred thousand events, and a path
    // warmed where the other was not flattered it: a cold first baseline flattered the first
    // round, and a warm baseline against a cold consumer did the reverse.
    await directApplyRate(engine, `${run}-direct-warm-up`);
    const warmWrites = new WriteRecorder();
    await withConsumer(warmUp.config, warmWrites, () => waitUntil(() => warmWrites.reached(EVENTS), 300_000, "the consumer's warm-up"));
    await directRound(0);
    for (const [r, { config }] of rounds.entries()) {
      await emptyRedis();
      const writes = new WriteRecorder();
      const cpuStart = await cpuSeconds(redis, brokerPid);
      await withConsumer(config, writes, async (startedAt) => {
        await waitUntil(() => writes.reached(EVENTS), 300_000, 'the end-to-end ingest');
        // From the consumer's start to the last state write: every fetch, decode and apply counts.
        const rate = EVENTS / ((writes.last - startedAt) / 1000);
        kafkaRounds.push({ rate, ...costPerEvent(cpuStart, await cpuSeconds(redis, brokerPid), EVENTS) });
        console.log(`end-to-end ingest (Redis state):      ${Math.round(rate).toLocaleString('en-US')} events/s (${((rate / raw) * 100).toFixed(1)}% of raw; ${costLine(kafkaRounds.at(-1)!)})`);
      });
      await directRound(r + 1);
    }

    // Latency at half the median end-to-end rate, after the last direct apply (which it once
    // preceded, leaving that apply a heap and a Redis 170,000 events fuller than the others'):
    // a consumer in the last round's group goes on from its committed offsets. One event first,
    // so the group has formed before the paced events go out; then 50 ms slices, each event's
    // send time noted.
    const { run: lastRun, config: lastConfig } = rounds.at(-1)!;
    const latencyRate = Math.round(median(kafkaRounds.map((k) => k.rate)) / 2);
    const joined = new WriteRecorder();
    const { p50, p99 } = await withConsumer(lastConfig, joined, async () => {
      await producer.send({ topic: lastConfig.topics.events, acks: -1, messages: [eventMessage(lastRun, EVENTS)] });
      await waitUntil(() => joined.reached(1), 60_000, "the latency consumer's first event");
      const perSlice = Math.max(1, Math.round(latencyRate / 20));
      const sentAt = new Map<string, number>();
      const writtenAt = new Map<string, number>();
      const timed = new WriteRecorder(writtenAt);
      store.recorder = timed;
      const total = perSlice * 20 * LATENCY_SECONDS;
      const started = performance.now();
      for (let s = 0; s * perSlice < total; s++) {
        const from = EVENTS + 1 + s * perSlice;
        const at = performance.now();
        for (let k = 0; k < perSlice; k++) sentAt.set(`${lastRun}-${from + k}`, at);
        await producer.send({ topic: lastConfig.topics.events, acks: -1, messages: Array.from({ length: perSlice }, (_, k) => eventMessage(lastRun, from + k)) });
        const wait = started + (s + 1) * 50 - performance.now();
        if (wait > 0) await Bun.sleep(wait);
      }
      await waitUntil(() => timed.reached(total), 120_000, 'the latency phase');
      const latencies = [...sentAt].map(([id, at]) => writtenAt.get(id)! - at);
      const percentiles = { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
      console.log(`latency at ${latencyRate.toLocaleString('en-US')} events/s: p50 ${percentiles.p50.toFixed(1)} ms, p99 ${percentiles.p99.toFixed(1)} ms`);
      return percentiles;
    });
    // Each round's end to end against the mean of the direct applies just before and just after
    // it, so a burst of other load on the machine weighs on both sides; the median of the rounds.
    const ratios = kafkaRounds.map((k, r) => k.rate / ((direct[r]!.rate + direct[r + 1]!.rate) / 2));
    const ratio = median(ratios);
    const endToEnd = median(kafkaRounds.map((k) => k.rate));
    const directRate = median(direct.map((d) => d.rate));
    const meanCost = (xs: Cost[]): Cost => ({ bunUs: mean(xs.map((x) => x.bunUs)), redisUs: mean(xs.map((x) => x.redisUs)), brokerUs: mean(xs.map((x) => x.brokerUs)) });
    const directCost = meanCost(direct);
    const kafkaCost = meanCost(kafkaRounds);
    // The broker's column only when this machine's broker is the one measured.
    const broker = (c: Cost) => (brokerPid === undefined ? '' : ` ${c.brokerUs.toFixed(1)} |`);
    const met = { ratio: ratio >= TARGET_RATIO, rate: endToEnd >= TARGET_RATE, p99: p99 < TARGET_P99_MS };
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const yes = (ok: boolean) => (ok ? 'met' : '**NOT met**');
    const section = [
      '## Kafka: end-to-end ingest',
      '',
      `${fmt(EVENTS)} events (lessons, quizzes, code reviews, practice) over ${fmt(STUDENTS)} students, keyed by student, on a fresh ${PARTITIONS}-partition topic of the local broker (\`scripts/kafka.sh\`) per round, ${ROUNDS} rounds. The **baseline** is the same number of events, parsed from the same JSON, applied straight to the same Redis store (a \`redis-server\` of the bench's own on a free port, behind the same breaker) through the core with ${DIRECT_CONCURRENCY} in flight and no Kafka, once untimed to warm up (as is the consumer, on a topic of its own), then before the first round and after each; every timed run starts on an emptied Redis (\`FLUSHALL SYNC\`), so none pays for the keys of the runs before it; every run and round in a tenant of its own. The end-to-end rate is the real consumer (\`startKafkaIngest\`: fetch, decode, validation, curriculum check, idempotent atomic apply, \`mastery.updated\` per batch with the erasure check behind it, metrics, offsets committed after), timed from the consumer's start (joined, its first fetch on the way) to the last state write, so the first fetch and its decoding count too; both sides' store notes each write it completes the same light way (a count and the last time: see \`WriteRecorder\`). Each round's ratio is its end-to-end rate against the mean of the direct applies just before and just after it, so a burst of other load on the machine weighs on both sides; the figure is the median of the rounds. The raw rate, for scale, is a kafkajs consumer that only counts the first round's messages. Latency is from the produce call to the state write, at half the median end-to-end rate, for ${LATENCY_SECONDS} s after the last direct apply, by a consumer in the last round's group.`,
      '',
      '| measurement | value | target |',
      '| --- | ---: | --- |',
      `| raw kafkajs consume, no processing | ${fmt(raw)} events/s | |`,
      `| **baseline**: Redis-backed apply without Kafka, median (runs: ${direct.map((d) => fmt(d.rate)).join(', ')}) | ${fmt(directRate)} events/s | |`,
      `| end-to-end ingest (consume → apply → publish → commit), median (rounds: ${kafkaRounds.map((k) => fmt(k.rate)).join(', ')}) | ${fmt(endToEnd)} events/s | at least ${fmt(TARGET_RATE)}/s: ${yes(met.rate)} |`,
      `| **end-to-end / Redis-backed apply without Kafka**, median (rounds: ${ratios.map(pct).join(', ')}) | ${pct(ratio)} | at least ${TARGET_RATIO * 100}%: ${yes(met.ratio)} |`,
      `| event-to-state latency at ${fmt(latencyRate)} events/s, p50 | ${p50.toFixed(1)} ms | |`,
      `| event-to-state latency at ${fmt(latencyRate)} events/s, p99 | ${p99.toFixed(1)} ms | under ${TARGET_P99_MS} ms: ${yes(met.p99)} |`,
      '',
      `CPU per event, mean over the runs of each (the bench process is the consumer: \`/proc\` for it, \`INFO cpu\` for Redis, ${brokerPid === undefined ? 'the broker not counted: KAFKA_BROKERS names a broker the bench may not be talking to, or none of `scripts/kafka.sh` runs here' : '`/proc` for the broker `scripts/kafka.sh` runs on this machine'}):`,
      '',
      `| | Bun process, µs CPU per event | Redis, µs CPU per event |${brokerPid === undefined ? '' : ' Kafka broker, µs CPU per event |'}`,
      `| --- | ---: | ---: |${brokerPid === undefined ? '' : ' ---: |'}`,
      `| apply without Kafka | ${directCost.bunUs.toFixed(1)} | ${directCost.redisUs.toFixed(1)} |${broker(directCost)}`,
      `| end to end through Kafka | ${kafkaCost.bunUs.toFixed(1)} | ${kafkaCost.redisUs.toFixed(1)} |${broker(kafkaCost)}`,
      '',
      `Per event, Kafka adds ${Math.max(0, (1 / endToEnd - 1 / directRate) * 1e6).toFixed(1)} µs of wall time and ${Math.max(0, kafkaCost.bunUs - directCost.bunUs).toFixed(1)} µs of the service's CPU${brokerPid === undefined ? '' : ` (and ${Math.max(0, kafkaCost.brokerUs - directCost.brokerUs).toFixed(1)} µs of the broker's: serving the fetches, storing and acknowledging each \`mastery.updated\` record, the offset commits)`} to the ${(1e6 / directRate).toFixed(1)} µs of a direct apply on this machine (2 cores shared by the broker, Redis and the one Bun process): fetching and decoding record batches, the \`mastery.updated\` publish and the erasure check behind it, metrics, offset commits. docs/scaling.md sizes partitions and replicas from these figures. Where the consumer's CPU goes, with the profile before and after the cuts of issue 15: *Hot paths*, "Kafka end to end", above.`,
      '',
    ].join('\n');
    writeBenchSection('kafka-ingest', section, 'bun bench/ingest.ts');
    if (!met.ratio || !met.rate || !met.p99) process.exitCode = 1;
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: allTopics }).catch(() => undefined);
    await admin.disconnect();
    await redis.quit();
  }
}

// A redis-server of the bench's own, so its CPU counts are this bench's alone.
await withPrivateRedis(measure);
