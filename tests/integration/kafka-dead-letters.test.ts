import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { CompressionTypes, ConfigResourceTypes, type Admin, type Kafka, type Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { DLQ_HEADERS } from '../../src/adapters/kafka/ingest.consumer';
import { startKafkaIngest, type KafkaIngest } from '../../src/adapters/kafka/kafka-ingest';
import { healthRoutes } from '../../src/adapters/http/health.routes';
import type { KafkaConfig } from '../../src/config/config';
import type { WireEvent } from '../support/events';
import { requireService, uniqueId } from '../support/services';
import {
  connectedProducer,
  countMessages,
  counterTotal,
  deleteTopics,
  makeEvents,
  readState,
  readTopic,
  redisEngine,
  studentsOf,
  testKafka,
  testKafkaConfig,
  testLog,
  totalEvents,
  waitFor,
  type RedisEngine,
} from '../support/kafka';

/**
 * A message the dead-letter topic cannot take must not hold its partition forever: too large, it
 * is stored truncated; refused whatever is done, its partition pauses after a bounded number of
 * attempts and says so, and the other partitions go on.
 */

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let backend: RedisEngine;

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  backend = await redisEngine(requireService('REDIS_URL'));
});
beforeEach(async () => {
  producer = await connectedProducer(kafka);
});
afterEach(() => producer.disconnect());
afterAll(async () => {
  await admin.disconnect();
  await backend.close();
});

const PARTITIONS = 6;

/** The test's topics; `dlqMaxMessageBytes` sets the dead-letter topic's own size limit. */
async function createTopics(config: KafkaConfig, dlqMaxMessageBytes?: number): Promise<void> {
  const { events, dlq, updates } = config.topics;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: events, numPartitions: PARTITIONS },
      { topic: dlq, numPartitions: 1, configEntries: dlqMaxMessageBytes ? [{ name: 'max.message.bytes', value: String(dlqMaxMessageBytes) }] : [] },
      { topic: updates, numPartitions: PARTITIONS },
    ],
  });
}

/** Sends to one partition explicitly, so the test knows which partition a message blocks. */
const sendTo = (topic: string, partition: number, events: readonly WireEvent[]) =>
  producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: e.student_id, value: JSON.stringify(e), partition })) });

/** 20 MB of one byte: gzip makes it ~20 KB, so the broker takes it, but the consumer sees 20 MB. */
const HUGE = Buffer.alloc(20 * 1024 * 1024, 'x');

async function sendHuge(topic: string, partition: number): Promise<void> {
  await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: [{ key: 'huge', value: HUGE, partition }] });
}

const gauge = async (registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> => {
  const got = await registry.getSingleMetric(name)?.get();
  return got?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
};

async function committedOffset(config: KafkaConfig, partition: number): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topics.events] });
  return Number(committed!.partitions.find((p) => p.partition === partition)!.offset);
}

const metricTotal = (registry: Registry, name: string) => counterTotal(registry.getSingleMetric(name) as never);

describe('a dead letter the broker will not take', () => {
  test('a 20 MB gzip-compressed poison message is dead-lettered truncated, with its size and SHA-256, and its partition goes on', async () => {
    const config = testKafkaConfig();
    await createTopics(config);
    const registry = new Registry();
    const ingest = await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry });
    try {
      const events = makeEvents(uniqueId('t'), 50, 5);
      await sendTo(config.topics.events, 0, events.slice(0, 10));
      await sendHuge(config.topics.events, 0);
      await sendTo(config.topics.events, 0, events.slice(10));

      await waitFor('the events behind the huge message applied', async () => totalEvents(await readState(backend.engine.store, studentsOf(events))) === 50, 30_000);
      expect(await countMessages(admin, config.topics.dlq)).toBe(1);
      const [letter] = await readTopic(kafka, config.topics.dlq, 1);
      expect(letter!.headers[DLQ_HEADERS.reason]).toBe('invalid_json');
      expect(letter!.headers[DLQ_HEADERS.originalSize]).toBe(String(HUGE.length));
      expect(letter!.headers[DLQ_HEADERS.originalSha256]).toBe(createHash('sha256').update(HUGE).digest('hex'));
      // What is kept is the start of the original, as much as the topic takes (1 MiB by default).
      expect(letter!.value!.length).toBeGreaterThan(512 * 1024);
      expect(letter!.value!.length).toBeLessThan(1024 * 1024);
      expect(HUGE.subarray(0, letter!.value!.length).toString()).toBe(letter!.value!);
      expect(await metricTotal(registry, 'mastery_kafka_events_dead_lettered_total')).toBe(1);
    } finally {
      await ingest.stop();
      await deleteTopics(admin, config);
    }
  }, 60_000);

  test('a dead letter refused on every attempt pauses only its partition, after a bounded number of attempts, with an alert metric and /ready detail; a restart after the fix resumes it', async () => {
    const config = testKafkaConfig({ deadLetterMaxAttempts: 3 });
    // Too small for a dead letter's own headers: no truncation can make it fit.
    await createTopics(config, 200);
    const registry = new Registry();
    let ingest: KafkaIngest | undefined = await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry });
    try {
      const tenant = uniqueId('t');
      const blocked = makeEvents(tenant, 20, 4, uniqueId('blocked')).map((e) => ({ ...e, student_id: `blocked-${e.student_id}` }));
      const others = makeEvents(tenant, 100, 20, uniqueId('free'));
      await producer.send({ topic: config.topics.events, acks: -1, messages: [{ key: 'poison', value: 'not json', partition: 0 }] });
      await sendTo(config.topics.events, 0, blocked);
      for (let p = 1; p < PARTITIONS; p++) await sendTo(config.topics.events, p, others.filter((_, i) => i % (PARTITIONS - 1) === p - 1));

      const labels = { topic: config.topics.events, partition: '0' };
      await waitFor('partition 0 paused', async () => (await gauge(registry, 'mastery_kafka_partition_paused', labels)) === 1, 30_000);
      await waitFor('the other partitions applied', async () => totalEvents(await readState(backend.engine.store, studentsOf(others))) === 100, 30_000);
      const failures = await metricTotal(registry, 'mastery_kafka_publish_failures_total');
      expect(failures).toBe(3);
      await Bun.sleep(2000);
      // Paused for good: no more attempts, nothing behind the poison committed.
      expect(await metricTotal(registry, 'mastery_kafka_publish_failures_total')).toBe(3);
      // (The events behind it may be applied already, as a batch is applied before its sends;
      // uncommitted, they come back as duplicates.)
      expect(await committedOffset(config, 0)).toBeLessThanOrEqual(0);
      expect(await countMessages(admin, config.topics.dlq)).toBe(0);

      // The reason reaches /ready through the kafka probe's detail.
      const ready = await healthRoutes({ probes: [ingest.probe], accepting: () => true }).handle(new Request('http://localhost/ready'));
      const body = JSON.stringify(await ready.json());
      expect(body).toContain(`${config.topics.events} partition 0 paused`);
      expect(body).toContain('after 3 failed dead-letter publishes');

      // The runbook's fix: let the topic take the letter, restart; the partition carries on.
      await ingest.stop();
      ingest = undefined;
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: config.topics.dlq, configEntries: [{ name: 'max.message.bytes', value: String(1024 * 1024) }] }] });
      const after = new Registry();
      ingest = await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry: after });
      await waitFor('the dead letter stored and partition 0 committed to its end after the restart', async () => (await countMessages(admin, config.topics.dlq)) === 1 && (await committedOffset(config, 0)) === 1 + blocked.length, 30_000);
      expect(totalEvents(await readState(backend.engine.store, studentsOf(blocked)))).toBe(20);
      expect(await gauge(after, 'mastery_kafka_partition_paused', labels)).not.toBe(1);
      await ingest.probe.check();
    } finally {
      await ingest?.stop();
      await deleteTopics(admin, config);
    }
  }, 90_000);
});
