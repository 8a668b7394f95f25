import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisBatchStore } from '../../src/adapters/redis/batch-store.redis';
import { clusterClients } from '../support/redis-cluster';
import { BATCH_OPTIONS, describeBatchStoreContract } from './batch-store.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));

describeBatchStoreContract('redis cluster', () => new RedisBatchStore(clients[0]!, BATCH_OPTIONS), () => new RedisBatchStore(clients[1]!, BATCH_OPTIONS));
