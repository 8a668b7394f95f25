import { afterAll, beforeAll, expect, test } from 'bun:test';
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { startKafkaIngest, type KafkaIngest } from '../../src/adapters/kafka/kafka-ingest';
import { studentKeys, studentTag } from '../../src/adapters/redis/keys';
import {
  asMessage,
  connectedProducer,
  counterTotal,
  createTopics,
  deleteTopics,
  makeEvents,
  modelOf,
  produce,
  readState,
  redisEngine,
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
import { uniqueId } from '../support/services';

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = await connectedProducer(kafka);
});
afterAll(async () => {
  await producer.disconnect();
  await admin.disconnect();
});

test('slots moving between masters during Kafka ingest (redis-cli --cluster reshard): nothing lost, nothing applied twice', async () => {
  // A cluster of this test's own: resharding the shared one would slow the suites using it.
  const cluster: PrivateCluster = await startPrivateCluster();
  const config = testKafkaConfig();
  await createTopics(admin, config);
  let backend: RedisEngine | undefined;
  let ingest: KafkaIngest | undefined;
  try {
    backend = await redisEngine(cluster.url, { mode: 'cluster', commandTimeoutMs: 2000, breakerTimeoutMs: 3000 });
    const redis = backend.redis as Cluster;
    const registry = new Registry();
    ingest = await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry });

    const tenant = uniqueId('t');
    const events = makeEvents(tenant, 4000, 200);
    // The test's engine stores plain ids as pseudonyms, so a student's slot is its tag's.
    const slotOf = (student: string) => calculateSlot(studentKeys(studentTag(tenant, student)).topics);
    const students = [...studentsOf(events).keys()];
    const ownerOf = (student: string) => redis.slots[slotOf(student)]?.join(',');
    const ownersBefore = new Map(students.map((s) => [s, ownerOf(s)]));

    const producing = (async () => {
      for (let i = 0; i < events.length; i += 100) {
        await produce(producer, config.topics.events, events.slice(i, i + 100).map(asMessage));
        await Bun.sleep(150);
      }
    })();
    await waitFor('the stream to be flowing', async () => totalEvents(await readState(backend!.engine.store, studentsOf(events)).catch(() => new Map())) >= 400, 20_000, 50);

    const [from, to] = await Promise.all(cluster.nodes.slice(0, 2).map(async (n) => (await cluster.cli('-p', String(n.port), 'cluster', 'myid')).trim()));
    await cluster.cli('--cluster', 'reshard', `127.0.0.1:${cluster.nodes[0]!.port}`, '--cluster-from', from!, '--cluster-to', to!, '--cluster-slots', '2000', '--cluster-yes', '--cluster-pipeline', '20');
    const stillProducing = await Promise.race([producing.then(() => false), Bun.sleep(0).then(() => true)]);

    await producing;
    await waitFor('all 4,000 applied', async () => totalEvents(await readState(backend!.engine.store, studentsOf(events)).catch(() => new Map())) === 4000, 60_000, 100);
    // The client learns the new slot map from MOVED replies; refresh it to compare owners.
    await redis.refreshSlotsCache?.();
    await waitFor('the client to see the new owners', async () => students.some((s) => ownerOf(s) !== ownersBefore.get(s)), 10_000, 100);
    const moved = students.filter((s) => ownerOf(s) !== ownersBefore.get(s));

    const state = await readState(backend.engine.store, studentsOf(events));
    expect(summary(state)).toEqual(summary(await modelOf(events)));
    // Counted once per batch, after its applies: wait for the last batch's count.
    const appliedMetric = registry.getSingleMetric('mastery_kafka_events_applied_total') as never;
    await waitFor('every applied event counted', async () => (await counterTotal(appliedMetric)) >= 4000, 10_000, 50);
    expect(await counterTotal(appliedMetric)).toBe(4000);
    // The reshard really ran while events were flowing, and moved students who had data.
    expect(stillProducing).toBe(true);
    expect(moved.length).toBeGreaterThan(5);
  } finally {
    await ingest?.stop();
    await backend?.close();
    await deleteTopics(admin, config);
    await cluster.stop();
  }
}, 120_000);
