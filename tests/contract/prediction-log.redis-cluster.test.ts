import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisPredictionLog } from '../../src/adapters/redis/prediction-log.redis';
import { FixedClock } from '../support/fixed-clock';
import { clusterClients } from '../support/redis-cluster';
import { testPseudonymize } from '../support/stores';
import { describePredictionLogContract, NOW, RETENTION_DAYS } from './prediction-log.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));

describePredictionLogContract('redis cluster', () => {
  const clock = new FixedClock(NOW);
  const options = { clock, retentionDays: RETENTION_DAYS, pseudonymize: testPseudonymize };
  return { log: new RedisPredictionLog(clients[0]!, options), peer: new RedisPredictionLog(clients[1]!, options), clock };
});
