import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { startKafkaIngest, type KafkaIngest } from '../../src/adapters/kafka/kafka-ingest';
import { healthRoutes } from '../../src/adapters/http/health.routes';
import { redisProbe } from '../../src/adapters/redis/client';
import type { KafkaConfig } from '../../src/config/config';
import type { WireEvent } from '../support/events';
import {
  asMessage,
  connectedProducer,
  countMessages,
  counterTotal,
  createTopics,
  deleteTopics,
  makeEvents,
  modelOf,
  produce,
  readState,
  redisEngine,
  ROOT,
  studentsOf,
  summary,
  testKafka,
  testKafkaConfig,
  testLog,
  totalEvents,
  waitFor,
  type RedisEngine,
} from '../support/kafka';
import { startPrivateCluster, type PrivateCluster } from '../support/redis-cluster';
import { freePort, requireService, uniqueId } from '../support/services';

let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
});
afterAll(() => admin.disconnect());
beforeEach(async () => {
  producer = await connectedProducer(kafka);
});
afterEach(() => producer.disconnect());

/** Every fault is also run against the shared 3-master Redis Cluster. */
const BACKENDS = ['standalone', 'cluster'] as const;
const urlOf = (mode: (typeof BACKENDS)[number]) => requireService(mode === 'cluster' ? 'REDIS_CLUSTER_URL' : 'REDIS_URL');

/** Produces the events in slices at a steady pace, so faults land mid-stream. */
async function produceSteadily(topic: string, events: readonly WireEvent[], slice: number, everyMs: number): Promise<void> {
  for (let i = 0; i < events.length; i += slice) {
    await produce(producer, topic, events.slice(i, i + slice).map(asMessage));
    await Bun.sleep(everyMs);
  }
}

/** The state's event total, or -1 while the store cannot answer. */
const stateTotal = (backend: RedisEngine, events: readonly WireEvent[]) =>
  readState(backend.engine.store, studentsOf(events)).then(totalEvents, () => -1);

/** Every partition's committed offset equals its high watermark: nothing left to redo. */
async function fullyCommitted(config: KafkaConfig): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topics.events] });
  const high = await admin.fetchTopicOffsets(config.topics.events);
  return high.every((p) => committed!.partitions.find((c) => c.partition === p.partition)?.offset === p.high);
}

describe('the Kafka ingest under faults', () => {
  test.each(BACKENDS)('Redis frozen for 10 s mid-stream (%s; on the cluster, one master): /ready turns 503, nothing is lost or applied twice, then ready and caught up', async (mode) => {
    // A Redis of this test's own: freezing the shared one would stall the other suites.
    let redisServer: Subprocess;
    let url: string;
    let cluster: PrivateCluster | undefined;
    if (mode === 'cluster') {
      cluster = await startPrivateCluster();
      redisServer = cluster.nodes[0]!.proc;
      url = cluster.url;
    } else {
      const port = await freePort();
      redisServer = Bun.spawn(['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdout: 'ignore', stderr: 'ignore' });
      url = `redis://127.0.0.1:${port}`;
    }
    const config = testKafkaConfig();
    await createTopics(admin, config);
    let backend: RedisEngine | undefined;
    let ingest: KafkaIngest | undefined;
    try {
      await waitFor('the test redis to start', () => redisEngine(url, { mode }).then((b) => ((backend = b), true), () => false), 5000, 100);
      const registry = new Registry();
      ingest = await startKafkaIngest({ config, engine: backend!.engine, log: testLog, registry });
      const app = healthRoutes({ probes: [redisProbe(backend!.redis), ingest.probe], accepting: () => true, probeTimeoutMs: 500 });
      const readyStatus = async () => (await app.handle(new Request('http://localhost/ready'))).status;
      await waitFor('ready before the outage', async () => (await readyStatus()) === 200, 15_000);

      const events = makeEvents(uniqueId('t'), 3000, 60);
      const producing = produceSteadily(config.topics.events, events, 100, 400);
      await waitFor('the stream to be flowing', async () => (await stateTotal(backend!, events)) >= 200, 15_000, 50);

      redisServer.kill('SIGSTOP');
      const frozenAt = Date.now();
      try {
        await waitFor('/ready 503 while redis is frozen', async () => (await readyStatus()) === 503, 5000);
        await Bun.sleep(Math.max(0, 10_000 - (Date.now() - frozenAt)));
        expect(await readyStatus()).toBe(503);
      } finally {
        redisServer.kill('SIGCONT');
      }
      await producing;

      await waitFor('ready again', async () => (await readyStatus()) === 200, 15_000);
      await waitFor('all 3,000 applied', async () => (await stateTotal(backend!, events)) === 3000, 30_000);
      const state = await readState(backend!.engine.store, studentsOf(events));
      expect(summary(state)).toEqual(summary(await modelOf(events)));
      expect(await counterTotal(registry.getSingleMetric('mastery_kafka_transient_failures_total') as never)).toBeGreaterThan(0);
      // Writes sent just before the freeze ran when Redis woke, after their calls had timed out:
      // those count as duplicates on the retry, so applied + duplicates covers every event.
      const appliedMetric = registry.getSingleMetric('mastery_kafka_events_applied_total') as never;
      const duplicatesMetric = registry.getSingleMetric('mastery_kafka_events_duplicate_total') as never;
      // Counted once per batch, after its applies: wait for the last batch's counts.
      await waitFor('every event counted', async () => (await counterTotal(appliedMetric)) + (await counterTotal(duplicatesMetric)) >= 3000, 10_000, 50);
      const applied = await counterTotal(appliedMetric);
      const duplicates = await counterTotal(duplicatesMetric);
      expect(applied).toBeLessThanOrEqual(3000);
      expect(applied + duplicates).toBeGreaterThanOrEqual(3000);
      expect(await countMessages(admin, config.topics.dlq)).toBe(0);
    } finally {
      await ingest?.stop();
      await backend?.close();
      redisServer.kill('SIGKILL');
      await cluster?.stop();
      await deleteTopics(admin, config);
    }
  }, 120_000);

  test.each(BACKENDS)('the consumer hard-killed mid-stream and restarted (%s): nothing lost, nothing applied twice, redeliveries counted as duplicates', async (mode) => {
    const redisUrl = urlOf(mode);
    const config = testKafkaConfig();
    await createTopics(admin, config);
    const env = {
      ...process.env,
      KAFKA_BROKERS: config.brokers.join(','),
      KAFKA_GROUP_ID: config.groupId,
      KAFKA_TOPIC_EVENTS: config.topics.events,
      KAFKA_TOPIC_DLQ: config.topics.dlq,
      KAFKA_TOPIC_UPDATES: config.topics.updates,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_RETRY_INITIAL_MS: '100',
      KAFKA_RETRY_MAX_MS: '1000',
      STATE_BACKEND: 'redis',
      REDIS_URL: redisUrl,
      REDIS_MODE: mode,
      LOG_LEVEL: 'silent',
      APP_ENV: 'test',
    };
    interface Child {
      proc: Subprocess;
      /** Everything the child printed so far. */
      output: () => string;
    }
    const spawnChild = async (): Promise<Child> => {
      const proc = Bun.spawn([process.execPath, join(ROOT, 'tests/support/kafka-consumer-child.ts')], { env, stdout: 'pipe', stderr: 'inherit', stdin: 'ignore' });
      let text = '';
      void (async () => {
        for await (const chunk of proc.stdout) text += new TextDecoder().decode(chunk);
      })();
      const child = { proc, output: () => text };
      await waitFor('the consumer child to start', () => text.includes('ready'), 20_000, 50);
      return child;
    };
    const backend = await redisEngine(redisUrl, { mode });
    const children: Child[] = [];
    try {
      const events = makeEvents(uniqueId('t'), 4000, 80);
      const producing = produceSteadily(config.topics.events, events, 100, 100);
      const first = await spawnChild();
      children.push(first);
      await waitFor('the first consumer to be mid-stream', async () => (await stateTotal(backend, events)) >= 800, 20_000, 20);
      first.proc.kill('SIGKILL');
      await first.proc.exited;
      await Bun.sleep(300);
      const appliedBeforeKill = await stateTotal(backend, events);
      expect(appliedBeforeKill).toBeLessThan(4000);

      const second = await spawnChild();
      children.push(second);
      await producing;
      await waitFor('all 4,000 applied after the restart', async () => (await stateTotal(backend, events)) === 4000, 45_000);
      second.proc.kill('SIGTERM');
      await second.proc.exited;
      await Bun.sleep(100);
      const totals = JSON.parse(second.output().trim().split('\n').pop()!) as Record<string, number>;
      // The restarted consumer applied exactly what the killed one had not; whatever it was
      // handed again (uncommitted at the kill) came back as duplicates.
      expect(totals.mastery_kafka_events_applied_total).toBe(4000 - appliedBeforeKill);
      expect(totals.mastery_kafka_events_consumed_total).toBe(totals.mastery_kafka_events_applied_total! + totals.mastery_kafka_events_duplicate_total!);
      const state = await readState(backend.engine.store, studentsOf(events));
      expect(summary(state)).toEqual(summary(await modelOf(events)));
      // Graceful shutdown committed everything it applied.
      expect(await fullyCommitted(config)).toBe(true);
    } finally {
      for (const c of children) c.proc.kill('SIGKILL');
      await backend.close();
      await deleteTopics(admin, config);
    }
  }, 90_000);

  test.each(BACKENDS)('a second consumer joining and leaving mid-stream (two rebalances, %s): nothing lost, nothing applied twice', async (mode) => {
    const config = testKafkaConfig();
    await createTopics(admin, config);
    const backend = await redisEngine(urlOf(mode), { mode });
    const registries = [new Registry(), new Registry()] as const;
    const running: KafkaIngest[] = [];
    try {
      running.push(await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry: registries[0] }));
      const events = makeEvents(uniqueId('t'), 4000, 80);
      const producing = produceSteadily(config.topics.events, events, 100, 150);
      await waitFor('the stream to be flowing', async () => (await stateTotal(backend, events)) >= 500, 20_000, 50);

      const second = await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry: registries[1] });
      running.push(second);
      const appliedBySecond = registries[1].getSingleMetric('mastery_kafka_events_applied_total') as never;
      await waitFor('the second consumer to take partitions', async () => (await counterTotal(appliedBySecond)) > 0, 20_000);
      await second.stop();
      running.pop();

      await producing;
      await waitFor('all 4,000 applied', async () => (await stateTotal(backend, events)) === 4000, 30_000);
      // Counters are added once per batch, after its applies: the state can be complete a moment
      // before the last batch is counted.
      const appliedByEach = () => Promise.all(registries.map((r) => counterTotal(r.getSingleMetric('mastery_kafka_events_applied_total') as never)));
      await waitFor('every applied event counted', async () => (await appliedByEach()).reduce((a, b) => a + b, 0) >= 4000, 10_000, 50);
      const applied = await appliedByEach();
      expect(applied[1]).toBeGreaterThan(0);
      expect(applied[0]! + applied[1]!).toBe(4000);
      const state = await readState(backend.engine.store, studentsOf(events));
      expect(summary(state)).toEqual(summary(await modelOf(events)));
    } finally {
      for (const r of running) await r.stop();
      await backend.close();
      await deleteTopics(admin, config);
    }
  }, 90_000);
});
