import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { KafkaIngestConsumer, DLQ_HEADERS } from '../../src/adapters/kafka/ingest.consumer';
import { startKafkaIngest } from '../../src/adapters/kafka/kafka-ingest';
import { registerKafkaMetrics } from '../../src/adapters/kafka/metrics';
import { queryMastery } from '../../src/domain/mastery/engine';
import type { MasteryUpdate, MasteryUpdates } from '../../src/ports/mastery-updates.port';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import { requireService, uniqueId } from '../support/services';
import {
  asCloudEvent,
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
  readTopic,
  redisEngine,
  studentsOf,
  summary,
  testKafka,
  testKafkaConfig,
  testLog,
  totalEvents,
  waitFor,
  type Outgoing,
  type RedisEngine,
} from '../support/kafka';

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
// A producer per test: kafkajs keeps refreshing metadata of every topic it ever sent to, and
// each test deletes its topics at the end.
beforeEach(async () => {
  producer = await connectedProducer(kafka);
});
afterEach(() => producer.disconnect());

afterAll(async () => {
  await admin.disconnect();
  await backend.close();
});

const metric = (registry: Registry, name: string) => {
  const m = registry.getSingleMetric(name);
  if (!m) throw new Error(`metric ${name} is not registered`);
  return m as unknown as Parameters<typeof counterTotal>[0];
};

describe('the Kafka ingest consumer', () => {
  test('1,000 events with 10% redelivered duplicates leave exactly the state of the distinct events', async () => {
    const config = testKafkaConfig();
    await createTopics(admin, config);
    const registry = new Registry();
    const ingest = await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry });
    try {
      const events = makeEvents(uniqueId('t'), 1000, 40);
      // Every tenth event is delivered twice, the copy later in the stream, as a producer retry would.
      const stream: Outgoing[] = events.map(asMessage);
      events.forEach((e, i) => {
        if (i % 10 === 0) stream.splice(Math.min(stream.length, i + 150), 0, asMessage(e));
      });
      expect(stream.length).toBe(1100);
      await produce(producer, config.topics.events, stream);

      const applied = metric(registry, 'mastery_kafka_events_applied_total');
      const duplicates = metric(registry, 'mastery_kafka_events_duplicate_total');
      // A rebalance may redeliver more than the planted copies: at-least-once allows it, and
      // every extra delivery must then be a counted duplicate too, never a second apply.
      await waitFor('1,000 applied, 100 duplicates seen', async () => (await counterTotal(applied)) >= 1000 && (await counterTotal(duplicates)) >= 100, 30_000);
      await Bun.sleep(500);
      expect(await counterTotal(applied)).toBe(1000);
      expect(await counterTotal(duplicates)).toBeGreaterThanOrEqual(100);
      const state = await readState(backend.engine.store, studentsOf(events));
      expect(totalEvents(state)).toBe(1000);
      expect(summary(state)).toEqual(summary(await modelOf(events)));
      // Each applied event is announced, and so is each duplicate (the current value again).
      await waitFor('updates published', async () => (await countMessages(admin, config.topics.updates)) >= 1100, 10_000);
      const updates = await readTopic(kafka, config.topics.updates, await countMessages(admin, config.topics.updates));
      expect(new Set(updates.map((u) => JSON.parse(u.value!).event_id))).toEqual(new Set(events.map((e) => e.event_id)));
      const sample = updates.find((u) => JSON.parse(u.value!).event_id === events[0]!.event_id)!;
      expect(sample.key).toBe(`${events[0]!.tenant_id}/${events[0]!.student_id}`);
      expect(Object.keys(JSON.parse(sample.value!)).sort()).toEqual(['components', 'event_id', 'level', 'mastery_score', 'occurred_at', 'student_id', 'tenant_id', 'topic_id']);
      expect(await countMessages(admin, config.topics.dlq)).toBe(0);
    } finally {
      await ingest.stop();
      await deleteTopics(admin, config);
    }
  }, 60_000);

  test('10 poison messages among 5,000 valid ones: exactly 10 dead-lettered with their reason, every valid one applied', async () => {
    const config = testKafkaConfig();
    await createTopics(admin, config);
    const registry = new Registry();
    const ingest = await startKafkaIngest({ config, engine: backend.engine, log: testLog, registry });
    try {
      const tenant = uniqueId('t');
      const events = makeEvents(tenant, 5000, 100);
      // A fifth of the valid events arrive as CloudEvents (what Dapr delivers).
      const stream: Outgoing[] = events.map((e, i) => (i % 5 === 0 ? asCloudEvent(e) : asMessage(e)));
      const valid = events[0]!;
      const poison: { message: Outgoing; reason: string }[] = [
        { message: { key: 's1', value: '{"event_id": "x", broken' }, reason: 'invalid_json' },
        { message: { key: 's2', value: 'not json at all' }, reason: 'invalid_json' },
        { message: { key: 's3', value: '' }, reason: 'invalid_json' },
        { message: { key: 's4', value: '[1,2,3]' }, reason: 'invalid_envelope' },
        { message: { key: 's5', value: JSON.stringify({ specversion: '0.3', id: 'x', type: 'quiz.completed' }) }, reason: 'invalid_envelope' },
        { message: { key: 's6', value: JSON.stringify({ ...valid, event_id: uniqueId('p'), event_type: 'video.watched' }) }, reason: 'unknown_event_type' },
        { message: { key: 's7', value: JSON.stringify({ ...valid, event_id: uniqueId('p'), event_type: undefined }) }, reason: 'unknown_event_type' },
        { message: { key: 's8', value: JSON.stringify({ ...valid, event_id: uniqueId('p'), data: { quiz_id: 'q', score: 7 } }) }, reason: 'schema_violation' },
        { message: { key: 's9', value: JSON.stringify({ ...valid, event_id: uniqueId('p'), occurred_at: 'yesterday' }) }, reason: 'schema_violation' },
        { message: { key: null, value: JSON.stringify({ ...valid, event_id: uniqueId('p'), topic_id: 'no-such-topic' }), headers: { trace: 'abc' } }, reason: 'schema_violation' },
      ];
      poison.forEach((p, i) => stream.splice(250 + i * 480, 0, p.message));
      await produce(producer, config.topics.events, stream);

      const applied = metric(registry, 'mastery_kafka_events_applied_total');
      const dead = metric(registry, 'mastery_kafka_events_dead_lettered_total');
      await waitFor('5,010 messages handled', async () => (await counterTotal(applied)) + (await counterTotal(dead)) >= 5010, 60_000);

      expect(await counterTotal(applied)).toBe(5000);
      expect(await countMessages(admin, config.topics.dlq)).toBe(10);
      const state = await readState(backend.engine.store, studentsOf(events));
      expect(totalEvents(state)).toBe(5000);
      expect(summary(state)).toEqual(summary(await modelOf(events)));

      const letters = await readTopic(kafka, config.topics.dlq, 10);
      const byValue = new Map(letters.map((l) => [l.value ?? '', l]));
      for (const p of poison) {
        const letter = byValue.get(p.message.value);
        expect(letter).toBeDefined();
        expect(letter!.key).toBe(p.message.key);
        expect(letter!.headers[DLQ_HEADERS.reason]).toBe(p.reason);
        expect(letter!.headers[DLQ_HEADERS.topic]).toBe(config.topics.events);
        expect(Number(letter!.headers[DLQ_HEADERS.partition])).toBeGreaterThanOrEqual(0);
        expect(Number(letter!.headers[DLQ_HEADERS.offset])).toBeGreaterThanOrEqual(0);
        expect(letter!.headers[DLQ_HEADERS.attempts]).toBe('1');
        expect(letter!.headers[DLQ_HEADERS.detail]!.length).toBeGreaterThan(0);
      }
      expect(byValue.get(poison[9]!.message.value)!.headers.trace).toBe('abc');
    } finally {
      await ingest.stop();
      await deleteTopics(admin, config);
    }
  }, 90_000);

  test('when publishing mastery.updated fails after the apply, the offset waits and the update goes out on the redelivery, counted once', async () => {
    const config = testKafkaConfig();
    await createTopics(admin, config);
    // An honest stand-in for the updates topic: it keeps what it accepted and refuses while down.
    class FlakyUpdates implements MasteryUpdates {
      readonly accepted: MasteryUpdate[] = [];
      refusals = 0;
      constructor(private downUntil: number) {}
      async publish(updates: readonly MasteryUpdate[]): Promise<void> {
        if (updates.length > 0 && Date.now() < this.downUntil) {
          this.refusals++;
          throw new Error('updates topic unavailable');
        }
        this.accepted.push(...updates);
      }
      async publishErasure(_ref: StudentRef): Promise<void> {}
    }
    const updates = new FlakyUpdates(Date.now() + 3000);
    const registry = new Registry();
    const metrics = registerKafkaMetrics(registry);
    const consumer = new KafkaIngestConsumer(
      { kafka, producer, engine: backend.engine, updates, metrics, log: testLog },
      { ...config, topics: { events: config.topics.events, dlq: config.topics.dlq } },
    );
    await consumer.start();
    try {
      const events = makeEvents(uniqueId('t'), 300, 20);
      await produce(producer, config.topics.events, events.map(asMessage));
      await waitFor('every event announced', () => new Set(updates.accepted.map((u) => u.eventId)).size === 300, 30_000);

      expect(updates.refusals).toBeGreaterThan(0);
      expect(await counterTotal(metrics.publishFailures)).toBe(updates.refusals);
      // Applied once each: the retries met the idempotency record and re-announced the current value.
      expect(await counterTotal(metrics.applied)).toBe(300);
      expect(await counterTotal(metrics.duplicate)).toBeGreaterThan(0);
      const state = await readState(backend.engine.store, studentsOf(events));
      expect(summary(state)).toEqual(summary(await modelOf(events)));
      // The last announcement per student and topic carries the final mastery.
      const last = new Map<string, MasteryUpdate>();
      for (const u of updates.accepted) last.set(`${u.studentId}|${u.topicId}`, u);
      expect(last.size).toBe(state.size);
      for (const u of last.values()) {
        const now = await queryMastery(backend.engine, { tenantId: u.tenantId, studentId: u.studentId }, [u.topicId]);
        expect(now.kind === 'ok' && now.mastery.topics[0]!.masteryScore).toBe(u.masteryScore);
      }
    } finally {
      await consumer.stop();
      await deleteTopics(admin, config);
    }
  }, 60_000);
});
