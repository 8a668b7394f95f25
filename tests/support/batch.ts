import type { Admin } from 'kafkajs';
import type Redis from 'ioredis';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import { applyEvent, snapshotOf, type ModelPolicy } from '../../src/domain/mastery/topic-state';
import type { KafkaConfig } from '../../src/config/config';
import { SECRET } from './http';
import { redisStoreOptions } from './stores';

const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };

/**
 * Gives each student state in `topics` (one quiz per topic, `daysAgo` days back) through the store's
 * own apply, as ingest would: batch tests and the bench need students that have something to
 * recalculate. The key layout stays the store's business.
 */
export async function seedStudents(redis: Redis, tenantId: string, studentIds: readonly string[], topics: readonly string[], daysAgo = 2, concurrency = 2000): Promise<void> {
  const store = new RedisMasteryStore(redis, redisStoreOptions);
  const now = Date.now();
  const occurredAt = now - daysAgo * 86_400_000;
  const jobs = studentIds.flatMap((studentId) => topics.map((topicId) => ({ studentId, topicId })));
  for (let i = 0; i < jobs.length; i += concurrency) {
    await Promise.all(
      jobs.slice(i, i + concurrency).map(({ studentId, topicId }, j) => {
        const eventId = `seed-${i + j}`;
        const event = { eventId, tenantId, studentId, topicId, occurredAt, data: { type: 'quiz.completed' as const, quizId: 'q', score: 0.5 + ((i + j) % 50) / 100 } };
        return store.applyEvent({ tenantId, studentId, topicId, eventId, now, occurredAt, consentByDefault: true }, (current) => {
          const state = applyEvent(current, event, policy);
          return { state, snapshot: snapshotOf(topicId, state, 10, policy) };
        });
      }),
    );
  }
}

/**
 * Creates topics and waits until every partition answers. kafkajs's own `waitForLeaders` sometimes
 * throws UNKNOWN_TOPIC_OR_PARTITION on a busy broker while the topic is still being set up; this
 * polls past that instead.
 */
export async function createTopicsAndWait(admin: Admin, topics: { topic: string; numPartitions: number }[], timeoutMs = 30_000): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics });
  const deadline = Date.now() + timeoutMs;
  for (const { topic, numPartitions } of topics) {
    for (;;) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      if (offsets.length === numPartitions) break;
      if (Date.now() > deadline) throw new Error(`topic ${topic} not ready within ${timeoutMs} ms`);
      await Bun.sleep(100);
    }
  }
}

/**
 * What a real service process (bun src/main.ts) needs to recalculate batches on `redisUrl` with the
 * caller's own Kafka group and topics; callers add their own tuning on top.
 */
export const batchServiceEnv = (redisUrl: string, kafka: Pick<KafkaConfig, 'brokers' | 'groupId' | 'topics' | 'batchTopicPrefix'>): Record<string, string> => ({
  APP_ENV: 'test',
  STATE_BACKEND: 'redis',
  REDIS_URL: redisUrl,
  JWT_SECRET: SECRET,
  PSEUDONYM_KEY: 'test-pseudonym-key-with-at-least-32-bytes',
  RATE_LIMIT_PER_MINUTE: '1000000',
  KAFKA_BROKERS: kafka.brokers.join(','),
  KAFKA_GROUP_ID: kafka.groupId,
  KAFKA_TOPIC_EVENTS: kafka.topics.events,
  KAFKA_TOPIC_DLQ: kafka.topics.dlq,
  KAFKA_TOPIC_UPDATES: kafka.topics.updates,
  KAFKA_TOPIC_BATCH_PREFIX: kafka.batchTopicPrefix,
});
