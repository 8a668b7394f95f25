import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisCurriculumStore } from '../../src/adapters/redis/curriculum-store.redis';
import { curriculumKey } from '../../src/adapters/redis/keys';
import { clusterClients } from '../support/redis-cluster';
import { describeCurriculumStoreContract } from './curriculum-store.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});

/** Curricula have no TTL and the cluster is shared: the suite removes the tenants it wrote. */
const written = new Set<string>();
class CleanedUpStore extends RedisCurriculumStore {
  override replace(...args: Parameters<RedisCurriculumStore['replace']>) {
    written.add(args[0]);
    return super.replace(...args);
  }
}
afterAll(async () => {
  // One DEL per key: a cluster refuses a DEL of keys in different slots.
  await Promise.all([...written].map((t) => clients[0]!.del(curriculumKey(t))));
  await Promise.all(clients.map((c) => c.quit()));
});

describeCurriculumStoreContract('redis cluster', () => new CleanedUpStore(clients[0]!), () => new CleanedUpStore(clients[1]!));
