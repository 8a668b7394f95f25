import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { cleanedUpCurriculumStores } from '../support/curriculum';
import { clusterClients } from '../support/redis-cluster';
import { describeCurriculumStoreContract } from './curriculum-store.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});

/** Curricula have no TTL and the cluster is shared: the suite removes the tenants it wrote. */
const stores = cleanedUpCurriculumStores();
afterAll(async () => {
  await stores.removeWritten(clients[0]!);
  await Promise.all(clients.map((c) => c.quit()));
});

describeCurriculumStoreContract('redis cluster', () => stores.store(clients[0]!), () => stores.store(clients[1]!));
