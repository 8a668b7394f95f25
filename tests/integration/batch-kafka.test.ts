import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { batchTopics, KafkaBatchConsumer, KafkaBatchQueue } from '../../src/adapters/kafka/batch.kafka';
import type { BatchPriority, Chunk } from '../../src/domain/batch/batch';
import { createTopicsAndWait } from '../support/batch';
import { connectedProducer, testKafka, testLog, waitFor } from '../support/kafka';
import { uniqueId } from '../support/services';

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const prefix = uniqueId('bt');
const topics = batchTopics(prefix);

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })));
  producer = await connectedProducer(kafka);
});
afterAll(async () => {
  await producer.disconnect();
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
});

const chunks = (priority: BatchPriority, n: number): Chunk[] =>
  Array.from({ length: n }, (_, i) => ({ batchId: `${priority}-batch`, tenantId: 't', chunkId: i, priority, studentIds: [`${priority}-${i}`] }));

test('the consumer pauses lower topics while a higher one has lag: high chunks overtake a low backlog already fetched', async () => {
  const queue = new KafkaBatchQueue(producer, topics);
  await queue.enqueue(chunks('low', 300));
  const order: BatchPriority[] = [];
  const consumer = new KafkaBatchConsumer(
    {
      kafka,
      clock: { now: () => Date.now() },
      log: testLog,
      // Each chunk takes 10 ms: the low backlog is 3 s of work.
      handle: async (c) => {
        order.push(c.priority);
        await Bun.sleep(10);
      },
    },
    { groupId: uniqueId('bt-group'), topics, sessionTimeoutMs: 6000, concurrency: 1, pollMs: 100, maxWaitMs: 60_000, retryMs: 50 },
  );
  await consumer.start();
  try {
    await waitFor('the low backlog to be under way', () => order.length >= 5, 30_000, 10);
    await queue.enqueue(chunks('high', 5));
    await waitFor('the high chunks to be done', () => order.filter((p) => p === 'high').length === 5, 30_000, 10);
    const lastHigh = order.lastIndexOf('high');
    const firstHigh = order.indexOf('high');
    // The highs ran together, and most of the low backlog was still waiting behind them.
    expect(lastHigh - firstHigh).toBe(4);
    expect(order.slice(0, lastHigh + 1).filter((p) => p === 'low').length).toBeLessThan(100);
    await waitFor('the low backlog to be done', () => order.length === 305, 30_000, 50);
  } finally {
    await consumer.stop();
  }
}, 60_000);

test('a lower priority held back longer than maxWaitMs is served alongside: the starvation bound', async () => {
  const local = batchTopics(uniqueId('bs'));
  await createTopicsAndWait(admin, Object.values(local).map((topic) => ({ topic, numPartitions: 1 })));
  const queue = new KafkaBatchQueue(producer, local);
  await queue.enqueue(chunks('high', 200));
  await queue.enqueue(chunks('low', 3));
  const order: BatchPriority[] = [];
  const consumer = new KafkaBatchConsumer(
    { kafka, clock: { now: () => Date.now() }, log: testLog, handle: async (c) => void (order.push(c.priority), await Bun.sleep(10)) },
    { groupId: uniqueId('bs-group'), topics: local, sessionTimeoutMs: 6000, concurrency: 2, pollMs: 100, maxWaitMs: 1000, retryMs: 50 },
  );
  await consumer.start();
  try {
    await waitFor('every chunk to be done', () => order.length === 203, 30_000, 50);
    // Two seconds of high work, a one-second bound: the lows did not wait for the end of it.
    expect(order.indexOf('low')).toBeLessThan(195);
  } finally {
    await consumer.stop();
    await admin.deleteTopics({ topics: Object.values(local) }).catch(() => undefined);
  }
}, 60_000);
