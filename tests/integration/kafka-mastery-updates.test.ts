import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { KafkaMasteryUpdates, TOMBSTONE_TENANT_HEADER } from '../../src/adapters/kafka/mastery-updates.kafka';
import type { MasteryUpdate } from '../../src/ports/mastery-updates.port';
import { uniqueId } from '../support/services';
import { connectedProducer, createTopics, deleteTopics, readTopic, testKafka, testKafkaConfig } from '../support/kafka';

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

const update = (tenantId: string, studentId: string): MasteryUpdate => ({
  tenantId,
  studentId,
  topicId: 'python-basics',
  masteryScore: 0.5,
  level: 'developing',
  components: { completion: 0.5, quiz: 0.5, quality: 0.5, consistency: 0.5 },
  eventId: uniqueId('e'),
  occurredAt: Date.parse('2026-01-14T10:00:00Z'),
});

describe('mastery.updated on Kafka', () => {
  test('the same student id in two tenants gets two keys, and erasing one tombstones only its own key, naming the tenant in a header', async () => {
    const config = testKafkaConfig();
    await createTopics(admin, config);
    try {
      const updates = new KafkaMasteryUpdates(producer, config.topics.updates);
      const [a, b] = [uniqueId('ta'), uniqueId('tb')];
      await updates.publish([update(a, 'student-1'), update(b, 'student-1')]);
      await updates.publishErasure({ tenantId: a, studentId: 'student-1' });

      const messages = await readTopic(kafka, config.topics.updates, 3);
      const values = messages.filter((m) => m.value !== null);
      expect(values.map((m) => m.key).sort()).toEqual([`${a}/student-1`, `${b}/student-1`].sort());
      for (const m of values) expect(m.key).toBe(`${JSON.parse(m.value!).tenant_id}/student-1`);
      // Compaction drops every earlier value under the tombstone's key: only tenant a's.
      const tombstones = messages.filter((m) => m.value === null);
      expect(tombstones).toHaveLength(1);
      expect(tombstones[0]!.key).toBe(`${a}/student-1`);
      expect(tombstones[0]!.headers[TOMBSTONE_TENANT_HEADER]).toBe(a);
    } finally {
      await deleteTopics(admin, config);
    }
  }, 30_000);
});
