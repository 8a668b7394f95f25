import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady, type RedisClient } from '../../src/adapters/redis/client';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import { announce, REPLICA_CLOCK_MARGIN_MS } from '../../src/domain/mastery/announce';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import type { MasteryUpdate, MasteryUpdates } from '../../src/ports/mastery-updates.port';
import { freshStudent } from '../contract/mastery-store.contract';
import { clusterClients } from '../support/redis-cluster';
import { requireService, uniqueId } from '../support/services';
import { redisStoreOptions } from '../support/stores';

/**
 * The erasure check behind a Kafka batch's announcement, with two replicas on separate Redis
 * connections: one applies and announces, the other erases. The check reads one tenant-wide index
 * per batch (erasedSince), so this proves the index written by one replica is what the other reads.
 */
const url = requireService('REDIS_URL');
const standalone = [0, 1].map(() => createRedisClient(url, 2000));
let cluster: RedisClient[] = [];
beforeAll(async () => {
  await Promise.all(standalone.map((c) => waitUntilReady(c, 5000)));
  cluster = await clusterClients(2);
});
afterAll(() => Promise.all([...standalone, ...cluster].map((c) => c.quit())));

/** A compacted topic as a list: what matters is which record comes last under each key. */
class TopicLog implements MasteryUpdates {
  readonly records: { key: string; kind: 'update' | 'tombstone' }[] = [];
  async publish(updates: readonly MasteryUpdate[]) {
    for (const u of updates) this.records.push({ key: `${u.tenantId}/${u.studentId}`, kind: 'update' });
  }
  async publishErasure(ref: StudentRef) {
    this.records.push({ key: `${ref.tenantId}/${ref.studentId}`, kind: 'tombstone' });
  }
  of(ref: StudentRef) {
    return this.records.filter((r) => r.key === `${ref.tenantId}/${ref.studentId}`).map((r) => r.kind);
  }
}

const updateFor = (ref: StudentRef): MasteryUpdate => ({
  ...ref,
  topicId: 'python-basics',
  masteryScore: 0.5,
  level: 'developing',
  components: { completion: 0.5, quiz: 0.5, quality: 0.5, consistency: 0.5 },
  eventId: uniqueId('evt'),
  occurredAt: Date.now(),
});

for (const [name, clients] of [
  ['standalone', () => standalone],
  ['cluster', () => cluster],
] as const) {
  describe(`announcing a batch while another replica erases (${name})`, () => {
    test('a student erased on another replica after the batch began gets a tombstone behind the update; others do not', async () => {
      const [announcer, eraser] = clients().map((c) => new RedisMasteryStore(c, redisStoreOptions)) as [RedisMasteryStore, RedisMasteryStore];
      const tenantId = uniqueId('tenant');
      const [racing, before, untouched] = [freshStudent(tenantId), freshStudent(tenantId), freshStudent(tenantId)];
      const log = new TopicLog();
      // Erased well before this batch: its tombstone already followed everything it had.
      await eraser.eraseStudent(before, Date.now() - REPLICA_CLOCK_MARGIN_MS - 5000);
      const appliedFrom = Date.now();
      // The other replica erases between this one's apply and its publish; its tombstone lands first.
      await eraser.eraseStudent(racing, Date.now());
      await log.publishErasure(racing);
      await announce({ store: announcer, updates: log }, [racing, before, untouched].map(updateFor), appliedFrom);
      expect(log.of(racing)).toEqual(['tombstone', 'update', 'tombstone']);
      expect(log.of(before)).toEqual(['update']);
      expect(log.of(untouched)).toEqual(['update']);
    });
  });
}
