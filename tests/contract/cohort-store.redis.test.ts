import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisCohortStore } from '../../src/adapters/redis/cohort-store.redis';
import { cohortsKey } from '../../src/adapters/redis/keys';
import { requireService, uniqueId } from '../support/services';
import { describeCohortStoreContract } from './cohort-store.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => waitUntilReady(redis, 5000));
afterAll(() => redis.quit());
const TTL = 3600;

describeCohortStoreContract('redis', () => new RedisCohortStore(redis, TTL));

test('a cohort roster names students, so its key carries a TTL', async () => {
  const t = uniqueId('t');
  await new RedisCohortStore(redis, TTL).put({ tenantId: t, cohortId: 'c', name: 'c', teacherIds: [], studentIds: ['s'] });
  const ttl = await redis.ttl(cohortsKey(t));
  expect(ttl).toBeGreaterThan(TTL - 10);
  expect(ttl).toBeLessThanOrEqual(TTL);
});
