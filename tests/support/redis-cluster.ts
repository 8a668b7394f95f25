import type { Cluster } from 'ioredis';
import { createRedisClusterClient, waitUntilReady } from '../../src/adapters/redis/client';
import { requireService } from './services';

/**
 * Connections to the test cluster `scripts/redis-cluster.sh up` started (3 masters), each its own
 * ioredis Cluster client, ready before the suite's first test.
 */
export async function clusterClients(count: number, commandTimeoutMs = 2000): Promise<Cluster[]> {
  const url = requireService('REDIS_CLUSTER_URL');
  const clients = Array.from({ length: count }, () => createRedisClusterClient(url, commandTimeoutMs));
  await Promise.all(clients.map((c) => waitUntilReady(c, 10_000)));
  return clients;
}

/** The keys matching a pattern on every master: on a cluster, SCAN walks one node only. */
export async function clusterKeys(cluster: Cluster, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found.sort();
}
