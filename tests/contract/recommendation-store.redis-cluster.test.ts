import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisRecommendationStore } from '../../src/adapters/redis/recommendation-store.redis';
import { clusterClients } from '../support/redis-cluster';
import { testPseudonymize } from '../support/stores';
import { CACHE_TTL_MS, describeRecommendationStoreContract, ERASURE_RETENTION_MS, MAX_RECORDS, RETENTION_MS } from './recommendation-store.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));
const options = { cacheTtlMs: CACHE_TTL_MS, retentionMs: RETENTION_MS, maxRecords: MAX_RECORDS, erasureRetentionSeconds: ERASURE_RETENTION_MS / 1000, pseudonymize: testPseudonymize };

describeRecommendationStoreContract('redis cluster', () => new RedisRecommendationStore(clients[0]!, options), () => new RedisRecommendationStore(clients[1]!, options));
