import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisRecommendationStore } from '../../src/adapters/redis/recommendation-store.redis';
import { requireService, uniqueId } from '../support/services';
import { redisKeysOf, testPseudonymize } from '../support/stores';
import { CACHE_TTL_MS, describeRecommendationStoreContract, ERASURE_RETENTION_MS, MAX_RECORDS, RETENTION_MS } from './recommendation-store.contract';

const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 1000), createRedisClient(url, 1000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));

const options = { cacheTtlMs: CACHE_TTL_MS, retentionMs: RETENTION_MS, maxRecords: MAX_RECORDS, erasureRetentionSeconds: ERASURE_RETENTION_MS / 1000, pseudonymize: testPseudonymize };
const stores = [new RedisRecommendationStore(clients[0], options), new RedisRecommendationStore(clients[1], options)] as const;

describeRecommendationStoreContract('redis', () => stores[0], () => stores[1]);

describe('the redis recommendation store', () => {
  test('its keys sit under the student’s tag, carry a TTL and name no student', async () => {
    const ref = { tenantId: uniqueId('t'), studentId: uniqueId('learner') };
    const now = Date.now();
    const rec = { recommendationId: uniqueId('r'), topicId: 'oop', area: 'quiz' as const, action: 'practice' as const, priority: 'high' as const, expectedGain: 0.2, estimatedMinutes: 20, reason: 'practise', servedAt: now };
    await stores[0].record(ref, { key: 'k', generatedAt: now, recommendations: [rec] }, now - 1000);
    await stores[0].feedback(ref, rec.recommendationId, { status: 'accepted', at: now });
    const keys = await clients[0].keys(redisKeysOf(ref));
    expect(keys.map((k) => k.slice(k.lastIndexOf(':') + 1)).sort()).toEqual(['rec-cache', 'rec-feedback', 'rec-order', 'recs']);
    for (const key of keys) {
      expect(key).not.toContain(ref.studentId);
      const ttl = await clients[0].pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(key.endsWith('rec-cache') ? CACHE_TTL_MS : RETENTION_MS);
    }
    await stores[1].eraseStudent(ref, now);
    expect((await clients[0].keys(redisKeysOf(ref))).map((k) => k.slice(k.lastIndexOf(':') + 1))).toEqual(['erased']);
  });
});
