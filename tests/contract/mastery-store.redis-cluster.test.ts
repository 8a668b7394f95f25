import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Cluster } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import { BreakerMasteryStore } from '../../src/adapters/resilience/mastery-store.breaker';
import { studentKeys, studentTag } from '../../src/adapters/redis/keys';
import { clusterClients } from '../support/redis-cluster';
import { redisStoreOptions, testPseudonymize } from '../support/stores';
import { applyWire, describeConsentLifetime, describeMasteryStoreContract, freshStudent } from './mastery-store.contract';

// The same contract as on one Redis, against a 3-master cluster, two stores on separate connections.
let clients: Cluster[] = [];
let stores: RedisMasteryStore[] = [];
let breakers: BreakerMasteryStore[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
  stores = clients.map((c) => new RedisMasteryStore(c, redisStoreOptions));
  breakers = stores.map((s) => new BreakerMasteryStore(s, { name: 'contract-cluster', timeoutMs: 3000, resetMs: 1000 }));
});
afterAll(async () => {
  breakers.forEach((b) => b.shutdown());
  await Promise.all(clients.map((c) => c.quit()));
});

describeMasteryStoreContract('redis cluster', () => ({ store: stores[0]!, peer: stores[1]! }));
describeMasteryStoreContract('redis cluster behind the circuit breaker', () => ({ store: breakers[0]!, peer: breakers[1]! }));
describeConsentLifetime('redis cluster', () => ({
  store: new RedisMasteryStore(clients[0]!, { ...redisStoreOptions, stateTtlSeconds: 1, idempotencyRetentionMs: 1000 }),
  passStateTtl: () => Bun.sleep(2100),
}));

/** The names of a student's keys that exist, found by name: a SCAN would walk every key of every master. */
async function existingKeys(ref: StudentRef): Promise<string[]> {
  const names = Object.values(studentKeys(studentTag(ref.tenantId, testPseudonymize(ref.tenantId, ref.studentId))));
  const found = await Promise.all(names.map((k) => clients[0]!.exists(k)));
  return names.filter((_, i) => found[i] === 1);
}

describe('the redis store on a cluster', () => {
  test('a student’s keys share one slot, and students spread over every master', async () => {
    const refs = Array.from({ length: 60 }, () => freshStudent());
    // Applied together, so the commits of many slots meet in one tick of the batcher.
    await Promise.all(refs.map((ref) => applyWire(stores[0]!, ref, { event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } })));
    const nodesUsed = new Set<string>();
    for (const ref of refs) {
      const keys = await existingKeys(ref);
      expect(keys.map((k) => k.split(':').at(-1)).sort()).toEqual(['events', 'history', 'topics']);
      expect(new Set(keys.map((k) => calculateSlot(k))).size).toBe(1);
      const owner = clients[0]!.slots[calculateSlot(keys[0]!)]?.[0];
      if (owner) nodesUsed.add(owner);
    }
    expect(nodesUsed.size).toBe(3);
    for (const ref of refs) expect((await stores[1]!.listTopics(ref)).get('python-basics')).toBeDefined();
  });

  test('reads across many students answer from every node', async () => {
    const refs = Array.from({ length: 30 }, () => freshStudent());
    await Promise.all(refs.map((ref) => applyWire(stores[0]!, ref)));
    const many = await stores[1]!.listTopicsMany(refs);
    expect(many.every((topics) => topics.size === 1)).toBe(true);
    expect(await stores[1]!.getConsentMany(refs)).toHaveLength(30);
  });

  test('deleting a student leaves only the erasure marker', async () => {
    const ref = freshStudent();
    await applyWire(stores[0]!, ref);
    await stores[1]!.eraseStudent(ref, Date.now());
    expect((await existingKeys(ref)).map((k) => k.split(':').at(-1))).toEqual(['erased']);
  });
});
