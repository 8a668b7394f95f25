import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisRateLimiter } from '../../src/adapters/redis/rate-limiter.redis';
import { FixedClock } from '../support/fixed-clock';
import { clusterClients } from '../support/redis-cluster';
import { describeRateLimiterContract } from './rate-limiter.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));

describeRateLimiterContract('redis cluster', () => {
  const clock = new FixedClock(Date.now());
  return { limiter: new RedisRateLimiter(clients[0]!, clock), peer: new RedisRateLimiter(clients[1]!, clock), clock };
});
