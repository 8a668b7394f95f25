import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Cluster } from 'ioredis';
import { RedisCohortStore } from '../../src/adapters/redis/cohort-store.redis';
import { cohortsKey } from '../../src/adapters/redis/keys';
import { clusterClients } from '../support/redis-cluster';
import { uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';
import { describeCohortStoreContract, ERASURE_RETENTION_MS } from './cohort-store.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));
const options = { ttlSeconds: 3600, erasureRetentionSeconds: ERASURE_RETENTION_MS / 1000, pseudonymize: testPseudonymize };

describeCohortStoreContract('redis cluster', () => new RedisCohortStore(clients[0]!, options), () => new RedisCohortStore(clients[1]!, options));

test('removing a student from every roster while cohorts are being created misses none of them', async () => {
  const t = uniqueId('t');
  const [writer, eraser] = [new RedisCohortStore(clients[0]!, options), new RedisCohortStore(clients[1]!, options)];
  // The rosters the remover must declare change under it; each retry lists them again.
  const puts = Array.from({ length: 20 }, (_, i) => writer.put({ tenantId: t, cohortId: `c${i}`, name: 'c', teacherIds: [], studentIds: ['keep', `s${i}`] }, Date.now()));
  await Promise.all([...puts, eraser.removeStudent(t, 'nobody', Date.now())]);
  await new RedisCohortStore(clients[1]!, options).removeStudent(t, 's7', Date.now());
  expect((await writer.get(t, 'c7'))?.studentIds).toEqual(['keep']);
  expect(await clients[0]!.hlen(cohortsKey(t))).toBe(20);
});
