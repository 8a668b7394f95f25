import { afterAll, beforeAll, expect, test } from 'bun:test';
import { CachedCurriculumSource } from '../../src/adapters/memory/curriculum-source.cached';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisCurriculumStore } from '../../src/adapters/redis/curriculum-store.redis';
import { curriculumKey } from '../../src/adapters/redis/keys';
import { cleanedUpCurriculumStores, shippedCurriculum } from '../support/curriculum';
import { requireService, uniqueId } from '../support/services';
import { describeCurriculumStoreContract } from './curriculum-store.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
const other = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => Promise.all([waitUntilReady(redis, 5000), waitUntilReady(other, 5000)]));

/** Curricula have no TTL: the suite removes the tenants it wrote from the shared server. */
const stores = cleanedUpCurriculumStores();
afterAll(async () => {
  await stores.removeWritten(redis);
  await Promise.all([redis.quit(), other.quit()]);
});

describeCurriculumStoreContract('redis', () => stores.store(redis), () => stores.store(other));

test("a tenant's curriculum is one key under the tenant's hash tag, without a TTL (versions must never restart)", async () => {
  const t = uniqueId('t');
  await new RedisCurriculumStore(redis).replace(t, 0, { document: { topics: [{ topic_id: 'a', title: 'A', lessons: ['l'], prerequisites: [] }] }, updatedAt: 1, updatedBy: 'admin:a' });
  expect(curriculumKey(t)).toBe(`me:{${t}}:curriculum`);
  expect(await redis.ttl(curriculumKey(t))).toBe(-1);
  await redis.del(curriculumKey(t));
});

test('a curriculum lost and stored again restarts at version 1, and a replica holding the old version 1 still takes the new one', async () => {
  const t = uniqueId('t');
  let now = 0;
  const replica = new CachedCurriculumSource({ store: new RedisCurriculumStore(other), clock: { now: () => now }, shipped: shippedCurriculum, refreshMs: 1000 });
  const store = new RedisCurriculumStore(redis);
  const topics = (lesson: string) => ({ document: { topics: [{ topic_id: 'a', title: 'A', lessons: [lesson], prerequisites: [] }] }, updatedAt: 1, updatedBy: 'admin:a' });
  await store.replace(t, 0, topics('old'));
  expect((await replica.forTenant(t)).curriculum.hasLesson('a', 'old')).toBe(true);
  // A restore from an older backup, or an operator's DEL: the counter starts again.
  await redis.del(curriculumKey(t));
  expect(await store.replace(t, 0, topics('new'))).toMatchObject({ kind: 'stored', version: 1 });
  now = 1000;
  const seen = await replica.forTenant(t);
  expect(seen.version).toBe(1);
  expect(seen.curriculum.hasLesson('a', 'new')).toBe(true);
  await redis.del(curriculumKey(t));
});
