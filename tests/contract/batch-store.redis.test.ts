import { afterAll, beforeAll, expect, test } from 'bun:test';
import { RedisBatchStore } from '../../src/adapters/redis/batch-store.redis';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { batchKeys } from '../../src/adapters/redis/keys';
import { requireService, uniqueId } from '../support/services';
import { BATCH_TTL_MS, describeBatchStoreContract } from './batch-store.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
const other = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => Promise.all([waitUntilReady(redis, 5000), waitUntilReady(other, 5000)]));
afterAll(() => Promise.all([redis.quit(), other.quit()]));

describeBatchStoreContract('redis', () => new RedisBatchStore(redis, { ttlMs: BATCH_TTL_MS }), () => new RedisBatchStore(other, { ttlMs: BATCH_TTL_MS }));

test("a batch's keys share one hash tag (one cluster slot) and all carry the batch's expiry", async () => {
  const store = new RedisBatchStore(redis, { ttlMs: BATCH_TTL_MS });
  const tenantId = uniqueId('t');
  const batchId = uniqueId('b');
  await store.create({ batchId, tenantId, priority: 'low', total: 2, chunks: 1, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
  await store.recordChunk(tenantId, batchId, 0, { results: [{ studentId: 's', overall: { masteryScore: 0, level: 'novice' }, topicsRecalculated: 0 }], failures: [] }, Date.now());
  const keys = Object.values(batchKeys(tenantId, batchId));
  expect(new Set(keys.map((k) => k.match(/\{[^}]*\}/)![0])).size).toBe(1);
  for (const key of keys) {
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(BATCH_TTL_MS - 10_000);
    expect(ttl).toBeLessThanOrEqual(BATCH_TTL_MS);
  }
});
