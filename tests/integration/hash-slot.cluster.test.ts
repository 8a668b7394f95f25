import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Cluster } from 'ioredis';
import { hashSlot } from '../../src/adapters/redis/hash-slot';
import { studentKeys, studentTag } from '../../src/adapters/redis/keys';
import { clusterClients } from '../support/redis-cluster';

/** The batcher groups commits by hashSlot; a slot that differed from the server's would send a student's commit to the wrong node. */
describe('hashSlot against a real Redis Cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    [cluster] = (await clusterClients(1)) as [Cluster];
  });
  afterAll(async () => {
    await cluster.quit();
  });

  test('every key gets the slot CLUSTER KEYSLOT gives: student keys, odd braces, non-ASCII', async () => {
    const keys = [
      ...Array.from({ length: 200 }, (_, i) => studentKeys(studentTag(`tenant-${i % 7}`, `p${i * 7919}`)).topics),
      'foo{}{bar}',
      'foo{{bar}}zap',
      'foo{bar}{zap}',
      '{',
      '}{x}',
      'plain-key',
      'élève{€}',
      '😀{😀}',
    ];
    const node = cluster.nodes('master')[0]!;
    const fromServer = await Promise.all(keys.map((k) => node.call('CLUSTER', 'KEYSLOT', k) as Promise<number>));
    expect(keys.map(hashSlot)).toEqual(fromServer);
  });
});
