import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { studentKeys, studentTag } from '../../src/adapters/redis/keys';
import { RedisPredictionCache, type RedisPredictionCacheOptions } from '../../src/adapters/redis/prediction-cache.redis';
import { FixedClock } from '../support/fixed-clock';
import { requireService, uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';
import { CACHE_TTL_S, describePredictionCacheContract, NOW } from './prediction-cache.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
const other = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => Promise.all([waitUntilReady(redis, 5000), waitUntilReady(other, 5000)]));
afterAll(() => Promise.all([redis.quit(), other.quit()]));

const options = (clock: FixedClock, extra: Partial<RedisPredictionCacheOptions> = {}): RedisPredictionCacheOptions => ({ clock, ttlSeconds: CACHE_TTL_S, pseudonymize: testPseudonymize, ...extra });

describePredictionCacheContract('redis', () => {
  const clock = new FixedClock(NOW);
  return { cache: new RedisPredictionCache(redis, options(clock)), peer: new RedisPredictionCache(other, options(clock)), clock };
});

const keyOf = (tenantId: string, studentId: string) => studentKeys(studentTag(tenantId, testPseudonymize(tenantId, studentId))).predictions;

test('a student’s cached predictions are one key under their tag, named by pseudonym, with a TTL', async () => {
  const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
  const cache = new RedisPredictionCache(redis, options(new FixedClock(NOW)));
  await cache.putPrediction(ref, { key: { fingerprint: 'f', kind: 'next_week', horizonDays: 7 }, value: { a: 1 }, cachedAt: NOW });
  const key = keyOf(ref.tenantId, ref.studentId);
  expect(key).not.toContain(ref.studentId);
  expect(await redis.ttl(key)).toBeGreaterThan(CACHE_TTL_S - 10);
  await cache.forgetStudent(ref, NOW + 1);
  // Only the erasure time stays, for the TTL: nothing of the prediction.
  expect(await redis.hgetall(key)).toEqual({ '~e': String(NOW + 1) });
  expect(await redis.ttl(key)).toBeGreaterThan(CACHE_TTL_S - 10);
});

test('a student’s hash holds one fingerprint and at most the cap of requests', async () => {
  const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
  const cache = new RedisPredictionCache(redis, options(new FixedClock(NOW), { maxEntriesPerStudent: 4 }));
  for (let h = 1; h <= 10; h++) await cache.putPrediction(ref, { key: { fingerprint: 'a', kind: 'trajectory', horizonDays: h }, value: { h }, cachedAt: NOW });
  expect(await redis.hlen(keyOf(ref.tenantId, ref.studentId))).toBeLessThanOrEqual(4 + 2);
  await cache.putPrediction(ref, { key: { fingerprint: 'b', kind: 'next_week', horizonDays: 7 }, value: {}, cachedAt: NOW });
  expect(Object.keys(await redis.hgetall(keyOf(ref.tenantId, ref.studentId))).sort()).toEqual(['next_week|7|now|*', '~f']);
});
