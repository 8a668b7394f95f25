import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { predictionAccuracyKey, predictionDueKey, predictionLogKey } from '../../src/adapters/redis/keys';
import { RedisPredictionLog } from '../../src/adapters/redis/prediction-log.redis';
import { FixedClock } from '../support/fixed-clock';
import { requireService, uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';
import { describePredictionLogContract, NOW, RETENTION_DAYS } from './prediction-log.contract';

const redis = createRedisClient(requireService('REDIS_URL'), 1000);
const other = createRedisClient(requireService('REDIS_URL'), 1000);
beforeAll(() => Promise.all([waitUntilReady(redis, 5000), waitUntilReady(other, 5000)]));
afterAll(() => Promise.all([redis.quit(), other.quit()]));

const options = (clock: FixedClock) => ({ clock, retentionDays: RETENTION_DAYS, pseudonymize: testPseudonymize });

describePredictionLogContract('redis', () => {
  const clock = new FixedClock(NOW);
  return { log: new RedisPredictionLog(redis, options(clock)), peer: new RedisPredictionLog(other, options(clock)), clock };
});

test('every key of the log expires after the retention, and none names the student', async () => {
  const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
  const log = new RedisPredictionLog(redis, options(new FixedClock(NOW)));
  await log.rememberServed(ref, [{ servedAt: NOW, targetDay: '2026-01-19', topicId: 'oop', predicted: 0.5, low: 0.4, high: 0.6, baselines: { lastValue: 0.5, linear: 0.5 } }]);
  const keys = [predictionLogKey(ref.tenantId, testPseudonymize(ref.tenantId, ref.studentId)), predictionDueKey(ref.tenantId), predictionAccuracyKey(ref.tenantId, '2026-01-19')];
  const dueTtl = await redis.ttl(keys[1]!);
  const [due] = await log.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-01-20', limit: 1 });
  await log.recordActual(ref.tenantId, due!, 0.5, NOW);
  // The due index went away with its only entry, scored.
  expect(await redis.exists(keys[1]!)).toBe(0);
  expect(dueTtl).toBeGreaterThan(0);
  for (const key of [keys[0]!, keys[2]!]) {
    expect(key).not.toContain(ref.studentId);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual((RETENTION_DAYS + 1) * 86_400);
  }
});
