import { afterAll, beforeAll, expect, test } from 'bun:test';
import { RedisBatchStore } from '../../src/adapters/redis/batch-store.redis';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { batchIndexKey, batchKeys } from '../../src/adapters/redis/keys';
import { requireService, uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';
import { BATCH_OPTIONS, BATCH_TTL_MS, describeBatchStoreContract } from './batch-store.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
const other = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => Promise.all([waitUntilReady(redis, 5000), waitUntilReady(other, 5000)]));
afterAll(() => Promise.all([redis.quit(), other.quit()]));

describeBatchStoreContract('redis', () => new RedisBatchStore(redis, BATCH_OPTIONS), () => new RedisBatchStore(other, BATCH_OPTIONS));

test("a batch's keys share one hash tag (one cluster slot) and all carry the batch's expiry, as does the tenant's index", async () => {
  const store = new RedisBatchStore(redis, BATCH_OPTIONS);
  const tenantId = uniqueId('t');
  const batchId = uniqueId('b');
  await store.create({ batchId, tenantId, priority: 'low', total: 2, chunks: 1, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
  await store.recordChunk(tenantId, batchId, 0, { results: [{ studentId: 's', overall: { masteryScore: 0, level: 'novice' }, topicsRecalculated: 0 }], failures: [] }, Date.now());
  await store.forgetStudent(tenantId, 's', Date.now());
  const keys = Object.values(batchKeys(tenantId, batchId));
  expect(new Set(keys.map((k) => k.match(/\{[^}]*\}/)![0])).size).toBe(1);
  for (const key of [...keys, batchIndexKey(tenantId)]) {
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(BATCH_TTL_MS - 10_000);
    expect(ttl).toBeLessThanOrEqual(BATCH_TTL_MS);
  }
});

test('an erased student leaves the stored keys, not only the answers, also a chunk counted after the erasure; the erased set holds their pseudonym', async () => {
  const store = new RedisBatchStore(redis, BATCH_OPTIONS);
  const tenantId = uniqueId('t');
  const batchId = uniqueId('b');
  await store.create({ batchId, tenantId, priority: 'low', total: 4, chunks: 2, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
  const ok = (studentId: string) => ({ studentId, overall: { masteryScore: 0.7, level: 'proficient' as const }, topicsRecalculated: 1 });
  await store.recordChunk(tenantId, batchId, 0, { results: [ok('gone'), ok('s1')], failures: [] }, 1);
  const k = batchKeys(tenantId, batchId);
  const stored = async () => JSON.stringify([await redis.hgetall(k.meta), await redis.lrange(k.results, 0, -1)]);
  expect(await stored()).toContain('gone');
  await store.forgetStudent(tenantId, 'gone', Date.now());
  await store.recordChunk(tenantId, batchId, 1, { results: [ok('gone')], failures: [{ studentId: 'gone', code: 'no_consent' }] }, 2);
  expect(await stored()).not.toContain('gone');
  expect(await redis.smembers(k.erased)).toEqual([testPseudonymize(tenantId, 'gone')]);
});

test('a batch record Redis refuses to write is an error, not a batch that silently is not there', async () => {
  const store = new RedisBatchStore(redis, BATCH_OPTIONS);
  const tenantId = uniqueId('t');
  const batchId = uniqueId('b');
  // The record's key already holds another type: the HSET inside the transaction fails (WRONGTYPE),
  // which EXEC reports per command rather than as a failed call.
  await redis.set(batchKeys(tenantId, batchId).meta, 'not a hash', 'PX', 60_000);
  const created = store.create({ batchId, tenantId, priority: 'low', total: 1, chunks: 1, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
  await expect(created).rejects.toThrow(/WRONGTYPE/);
});
