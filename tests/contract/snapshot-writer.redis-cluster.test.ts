import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import { clusterClients } from '../support/redis-cluster';
import { redisStoreOptions } from '../support/stores';
import { describeSnapshotWriterContract } from './snapshot-writer.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));

describeSnapshotWriterContract('redis cluster', () => new RedisMasteryStore(clients[0]!, redisStoreOptions), () => new RedisMasteryStore(clients[1]!, redisStoreOptions));
