import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisCurriculumStore } from '../../src/adapters/redis/curriculum-store.redis';
import { curriculumKey } from '../../src/adapters/redis/keys';
import { requireService, uniqueId } from '../support/services';
import { describeCurriculumStoreContract } from './curriculum-store.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
const other = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => Promise.all([waitUntilReady(redis, 5000), waitUntilReady(other, 5000)]));
afterAll(() => Promise.all([redis.quit(), other.quit()]));

describeCurriculumStoreContract('redis', () => new RedisCurriculumStore(redis), () => new RedisCurriculumStore(other));

test("a tenant's curriculum is one key under the tenant's hash tag, without a TTL (versions must never restart)", async () => {
  const t = uniqueId('t');
  await new RedisCurriculumStore(redis).replace(t, 0, { document: { topics: [{ topic_id: 'a', title: 'A', lessons: ['l'], prerequisites: [] }] }, updatedAt: 1, updatedBy: 'admin:a' });
  expect(curriculumKey(t)).toBe(`me:{${t}}:curriculum`);
  expect(await redis.ttl(curriculumKey(t))).toBe(-1);
  await redis.del(curriculumKey(t));
});
