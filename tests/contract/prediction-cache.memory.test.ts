import { expect, test } from 'bun:test';
import { MemoryPredictionCache } from '../../src/adapters/memory/prediction-cache.memory';
import { FixedClock } from '../support/fixed-clock';
import { testPseudonymize } from '../support/stores';
import { CACHE_TTL_S, describePredictionCacheContract, NOW } from './prediction-cache.contract';

// One instance is both handles: the fake has no second connection.
describePredictionCacheContract('in-memory', () => {
  const clock = new FixedClock(NOW);
  const cache = new MemoryPredictionCache({ clock, ttlMs: CACHE_TTL_S * 1000, pseudonymize: testPseudonymize });
  return { cache, peer: cache, clock };
});

test('the in-memory cache keeps at most maxEntries, dropping the least recently used', async () => {
  const clock = new FixedClock(NOW);
  const cache = new MemoryPredictionCache({ clock, ttlMs: CACHE_TTL_S * 1000, maxEntries: 3, pseudonymize: testPseudonymize });
  const ref = (i: number) => ({ tenantId: 't', studentId: `s${i}` });
  const key = { fingerprint: 'f', kind: 'next_week' as const, horizonDays: 7 };
  for (let i = 0; i < 3; i++) await cache.putPrediction(ref(i), { key, value: { i }, cachedAt: NOW });
  await cache.getPrediction(ref(0), key);
  await cache.putPrediction(ref(3), { key, value: { i: 3 }, cachedAt: NOW });
  const found = await Promise.all([0, 1, 2, 3].map(async (i) => (await cache.getPrediction(ref(i), key)) !== undefined));
  expect(found).toEqual([true, false, true, true]);
});
