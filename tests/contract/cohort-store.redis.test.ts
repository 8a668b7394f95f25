import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisCohortStore } from '../../src/adapters/redis/cohort-store.redis';
import { cohortMembersPrefix, cohortsKey } from '../../src/adapters/redis/keys';
import { requireService, uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';
import { describeCohortStoreContract, ERASURE_RETENTION_MS } from './cohort-store.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => waitUntilReady(redis, 5000));
afterAll(() => redis.quit());
const TTL = 3600;
const other = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => waitUntilReady(other, 5000));
afterAll(() => other.quit());
const options = { ttlSeconds: TTL, erasureRetentionSeconds: ERASURE_RETENTION_MS / 1000, pseudonymize: testPseudonymize };

describeCohortStoreContract('redis', () => new RedisCohortStore(redis, options), () => new RedisCohortStore(other, options));

test('a cohort roster names students, so its keys carry a TTL', async () => {
  const t = uniqueId('t');
  await new RedisCohortStore(redis, options).put({ tenantId: t, cohortId: 'c', name: 'c', teacherIds: [], studentIds: ['s'] }, Date.now());
  for (const key of [cohortsKey(t), cohortMembersPrefix(t) + 'c']) {
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(TTL - 10);
    expect(ttl).toBeLessThanOrEqual(TTL);
  }
});
