/**
 * Shared pieces of the Kafka integration tests: per-test topics on the real broker, a Redis-backed
 * engine wired the way main.ts wires it, a generator of realistic events, and the model the
 * final state is checked against.
 */
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin, type IHeaders, type Producer } from 'kafkajs';
import pino from 'pino';
import type { KafkaConfig } from '../../src/config/config';
import { MemoryMasteryStore } from '../../src/adapters/memory/mastery-store.memory';
import { connectRedis, waitUntilReady, type RedisClient } from '../../src/adapters/redis/client';
import { RedisMasteryStore, ttlSeconds } from '../../src/adapters/redis/mastery-store.redis';
import { BreakerMasteryStore } from '../../src/adapters/resilience/mastery-store.breaker';
import type { Curriculum } from '../../src/domain/mastery/curriculum';
import { ingestEvent, type EngineDeps } from '../../src/domain/mastery/engine';
import { DAY_MS, type ModelPolicy, type TopicState } from '../../src/domain/mastery/topic-state';
import type { MasteryStore } from '../../src/ports/mastery-store.port';
import type { Pseudonymizer } from '../../src/ports/pseudonymizer.port';
import { shippedCurricula, shippedCurriculum } from './curriculum';
import type { WireEvent } from './events';
import { requireService, uniqueId } from './services';

export const ROOT = join(import.meta.dir, '..', '..');
export const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };

export const curriculum: Curriculum = shippedCurriculum;
const topics = [...curriculum.topics.values()];

/** Logs that stay quiet unless a test is debugged with TEST_LOG_LEVEL. */
export const testLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function testKafka(): Kafka {
  return new Kafka({ clientId: uniqueId('test'), brokers: requireService('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING });
}

/** Unique topics and group for one test, so tests share the broker without seeing each other. */
export function testKafkaConfig(overrides: Partial<KafkaConfig> = {}): KafkaConfig {
  const id = uniqueId('kt');
  return {
    brokers: requireService('KAFKA_BROKERS').split(','),
    clientId: 'mastery-engine-test',
    ssl: false,
    sasl: undefined,
    groupId: `${id}.group`,
    topics: { events: `${id}.events`, dlq: `${id}.dlq`, updates: `${id}.updated` },
    batchTopicPrefix: `${id}.batch`,
    sessionTimeoutMs: 6000,
    partitionConcurrency: 6,
    applyConcurrency: 64,
    fetchMaxBytesPerPartition: 1024 * 1024,
    retryInitialMs: 100,
    retryMaxMs: 1000,
    deadLetterMaxAttempts: 5,
    ...overrides,
  };
}

export async function createTopics(admin: Admin, config: KafkaConfig, partitions = 6): Promise<void> {
  const { events, dlq, updates } = config.topics;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: events, numPartitions: partitions },
      { topic: dlq, numPartitions: 3 },
      { topic: updates, numPartitions: partitions },
    ],
  });
}

export async function deleteTopics(admin: Admin, config: KafkaConfig): Promise<void> {
  await admin.deleteTopics({ topics: Object.values(config.topics) }).catch(() => undefined);
}

/** Messages in a topic: the sum of its partitions' high watermarks (nothing is ever deleted in a test). */
export async function countMessages(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

export interface RawMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Reads every message of a topic from the beginning until `count` arrived (or the time is up). */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 20_000): Promise<RawMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueId('reader') });
  const out: RawMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          out.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export async function connectedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

export interface Outgoing {
  key: string | null;
  value: string;
  headers?: IHeaders;
}

/** Keyed by student, as producers of learning.events must. */
export const asMessage = (e: WireEvent): Outgoing => ({ key: e.student_id, value: JSON.stringify(e) });

export async function produce(producer: Producer, topic: string, messages: readonly Outgoing[], chunk = 1000): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk).map((m) => ({ ...m })) });
  }
}

/**
 * Valid events of every type over `students` students of one tenant, spread over the ten hours
 * before now: inside the half-day idempotency window of `redisEngine`, in which events are accepted.
 */
export function makeEvents(tenant: string, count: number, students: number, prefix = uniqueId('e')): WireEvent[] {
  const start = Date.now() - 11 * 3_600_000;
  return Array.from({ length: count }, (_, i) => {
    const topic = topics[i % topics.length]!;
    const base = {
      event_id: `${prefix}-${i}`,
      tenant_id: tenant,
      student_id: `s${i % students}`,
      topic_id: topic.topicId,
      occurred_at: new Date(start + (i % 30) * 20 * 60_000 + (i % 1000) * 1000).toISOString(),
    };
    switch (i % 5) {
      case 0:
        return { ...base, event_type: 'lesson.completed', data: { lesson_id: topic.lessons[i % topic.lessons.length] } };
      case 1:
        return { ...base, event_type: 'quiz.completed', data: { quiz_id: `q${i}`, score: (i % 10) / 10 } };
      case 2:
        return { ...base, event_type: 'quiz.completed', data: { quiz_id: `q${i}`, correct: i % 7, total: 7 } };
      case 3:
        return { ...base, event_type: 'code.assessed', data: { submission_id: `c${i}`, quality_score: (i % 9) / 9 } };
      default:
        return { ...base, event_type: 'practice.session', data: { minutes: 5 + (i % 40) } };
    }
  });
}

/** The same event as a CloudEvents 1.0 structured message, identity in extension attributes. */
export function asCloudEvent(e: WireEvent): Outgoing {
  const ce = { specversion: '1.0', id: e.event_id, source: '/learnflow/test', type: e.event_type, time: e.occurred_at, studentid: e.student_id, topicid: e.topic_id, tenantid: e.tenant_id, datacontenttype: 'application/json', data: e.data };
  return { key: e.student_id, value: JSON.stringify(ce), headers: { 'content-type': 'application/cloudevents+json' } };
}

/** Test data holds no real person, so storage keys may carry the plain ids (easier to inspect). */
const plainIds: Pseudonymizer = (_tenantId, studentId) => studentId;

export interface RedisEngine {
  engine: EngineDeps;
  redis: RedisClient;
  close(): Promise<void>;
}

/** Half a day of idempotency records (short, so test keys go soon) and the default skew. */
const WINDOW = { maxSkewMs: 300_000, idempotencyRetentionMs: 0.5 * DAY_MS };

/** Redis store behind the breaker, as main.ts builds it for STATE_BACKEND=redis. */
export async function redisEngine(
  url: string,
  opts: { mode?: 'standalone' | 'cluster'; commandTimeoutMs?: number; breakerTimeoutMs?: number; breakerResetMs?: number } = {},
): Promise<RedisEngine> {
  const redis = connectRedis({ mode: opts.mode ?? 'standalone', url }, opts.commandTimeoutMs ?? 500);
  redis.on('error', () => undefined);
  await waitUntilReady(redis, 5000);
  const store = new BreakerMasteryStore(new RedisMasteryStore(redis, { stateTtlSeconds: ttlSeconds(1), idempotencyRetentionMs: WINDOW.idempotencyRetentionMs, erasureRetentionSeconds: ttlSeconds(1), pseudonymize: plainIds }), {
    name: 'redis-state',
    timeoutMs: opts.breakerTimeoutMs ?? 1000,
    resetMs: opts.breakerResetMs ?? 1000,
  });
  return {
    engine: { store, clock: { now: () => Date.now() }, curricula: shippedCurricula(), policy, consentByDefault: true, eventWindow: WINDOW },
    redis,
    close: async () => {
      store.shutdown();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

type StateKey = string;
const stateKey = (student: string, topic: string): StateKey => `${student}|${topic}`;

/** What the state must be: the distinct events applied once each, in memory. */
export async function modelOf(events: readonly WireEvent[]): Promise<Map<StateKey, TopicState>> {
  const store = new MemoryMasteryStore({ clock: { now: () => Date.now() }, stateTtlMs: 90 * DAY_MS, idempotencyRetentionMs: 7 * DAY_MS, erasureRetentionMs: DAY_MS, pseudonymize: plainIds });
  const deps: EngineDeps = { store, clock: { now: () => Date.now() }, curricula: shippedCurricula(), policy, consentByDefault: true, eventWindow: WINDOW };
  const seen = new Set<string>();
  const students = new Map<string, string>();
  for (const e of events) {
    if (seen.has(e.event_id)) continue;
    seen.add(e.event_id);
    students.set(e.student_id, e.tenant_id ?? 'default');
    const outcome = await ingestEvent(deps, e);
    if (outcome.kind !== 'applied') throw new Error(`model rejected ${e.event_id}: ${outcome.kind}`);
  }
  return readState(store, students);
}

/** Every topic state of the given students (student id → tenant id). */
export async function readState(store: MasteryStore, students: ReadonlyMap<string, string>): Promise<Map<StateKey, TopicState>> {
  const out = new Map<StateKey, TopicState>();
  for (const [studentId, tenantId] of students) {
    for (const [topic, state] of await store.listTopics({ tenantId, studentId })) out.set(stateKey(studentId, topic), state);
  }
  return out;
}

/** The students of a list of events, as readState wants them. */
export const studentsOf = (events: readonly WireEvent[]) => new Map(events.map((e) => [e.student_id, e.tenant_id ?? 'default']));

export const totalEvents = (state: ReadonlyMap<StateKey, TopicState>): number => [...state.values()].reduce((n, s) => n + s.eventCount, 0);

/**
 * The comparable summary of a topic state: exact counts and sets, and the decayed means rounded,
 * since applying in another order may differ in the last bits of floating point.
 */
export function summary(state: ReadonlyMap<StateKey, TopicState>): Record<StateKey, unknown> {
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  const mean = (m: TopicState['quiz']) => ({ n: m.n, mean: m.w > 0 ? round(m.s / m.w) : 0 });
  return Object.fromEntries(
    [...state.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, s]) => [k, { eventCount: s.eventCount, lessons: [...s.lessons].sort(), practiceMinutes: s.practiceMinutes, activeDays: s.activeDays, quiz: mean(s.quiz), quality: mean(s.quality), firstAt: s.firstAt, lastAt: s.lastAt }]),
  );
}

/** Polls `check` until it returns true, or throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Sum of a prom-client counter over all label values. */
export async function counterTotal(metric: { get(): Promise<{ values: { value: number }[] }> | { values: { value: number }[] } }): Promise<number> {
  const got = await metric.get();
  return got.values.reduce((n, v) => n + v.value, 0);
}
