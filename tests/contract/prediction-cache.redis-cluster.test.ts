import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisPredictionCache } from '../../src/adapters/redis/prediction-cache.redis';
import { FixedClock } from '../support/fixed-clock';
import { clusterClients } from '../support/redis-cluster';
import { testPseudonymize } from '../support/stores';
import { CACHE_TTL_S, describePredictionCacheContract, NOW } from './prediction-cache.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));

describePredictionCacheContract('redis cluster', () => {
  const clock = new FixedClock(NOW);
  const options = { clock, ttlSeconds: CACHE_TTL_S, pseudonymize: testPseudonymize };
  return { cache: new RedisPredictionCache(clients[0]!, options), peer: new RedisPredictionCache(clients[1]!, options), clock };
});
