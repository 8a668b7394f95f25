import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Cluster } from 'ioredis';
import { clusterSeeds, createRedisClusterClient, waitUntilReady } from '../../src/adapters/redis/client';
import { hashSlot } from '../../src/adapters/redis/hash-slot';
import { clusterRoute, StudentScriptBatcher, type StudentScriptFn } from '../../src/adapters/redis/student-script-batcher';
import { startPrivateCluster, type PrivateCluster } from '../support/redis-cluster';

/**
 * A batched script in the shape of the real ones: KEYS, 2 per student (a counter, a value), ARGV,
 * 1 per student (the value). Each student's counter goes up by one and its value is written.
 */
const lua = `
local out = {}
for k = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('INCR', KEYS[k])
  redis.call('SET', KEYS[k + 1], ARGV[(k + 1) / 2])
end
return out
`;

/** Calls to one node carry students of several slots; the node refuses the whole call, before writing anything, when it does not serve every key of it. */
describe('node calls on a real Redis Cluster (node-call-prelude.lua)', () => {
  let cluster: PrivateCluster;
  let client: Cluster;
  const nodeAddress = (slot: number) => client.slots[slot]![0]!;
  /** `count` student tags whose slots `node` serves, each of another slot. */
  const tagsOn = (node: string, count: number, prefix: string) => {
    const tags: string[] = [];
    const slots = new Set<number>();
    for (let i = 0; tags.length < count; i++) {
      const tag = `{${prefix}-${i}}`;
      const slot = hashSlot(tag);
      if (nodeAddress(slot) === node && !slots.has(slot)) {
        slots.add(slot);
        tags.push(tag);
      }
    }
    return tags;
  };
  const keysOf = (tag: string) => [`${tag}:n`, `${tag}:v`];
  const call = (students: { tag: string; value: string }[]) => [
    ...students.map((s) => s.value),
    ...students.flatMap((s) => keysOf(s.tag)),
    2,
    students.length * 2,
  ];
  let masters: string[];

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    client = createRedisClusterClient(cluster.url, 2000);
    await waitUntilReady(client, 10_000);
    masters = [...new Set(Object.values(client.slots).map((s) => s[0]!))].sort();
    expect(masters).toHaveLength(3);
    // Starting a cluster takes about 2 s on an idle machine; a hook's default limit is 5 s.
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  test('students of several slots of one node: one call, each student answered and written', async () => {
    const route = clusterRoute(client, lua);
    const tags = tagsOn(masters[0]!, 3, 'several');
    const [err, replies] = await route.callNode(masters[0]!, call(tags.map((tag, i) => ({ tag, value: `v${i}` }))));
    expect(err).toBeNull();
    expect(replies).toEqual([1, 1, 1]);
    expect(await Promise.all(tags.map((t) => client.get(`${t}:v`)))).toEqual(['v0', 'v1', 'v2']);
  });

  test('a student of a slot another node serves: TRYAGAIN, and the call wrote nothing, not even for the students before it', async () => {
    const route = clusterRoute(client, lua);
    const [here1, here2] = tagsOn(masters[0]!, 2, 'mixed');
    const [elsewhere] = tagsOn(masters[1]!, 1, 'mixed');
    const [err] = await route.callNode(
      masters[0]!,
      call([
        { tag: here1!, value: 'a' },
        { tag: elsewhere!, value: 'b' },
        { tag: here2!, value: 'c' },
      ]),
    );
    expect(err?.message).toStartWith('TRYAGAIN ');
    expect(await client.exists(`${here1}:n`, `${here1}:v`)).toBe(0);
    expect(await client.exists(`${here2}:n`, `${here2}:v`)).toBe(0);
    expect(await client.exists(`${elsewhere}:n`, `${elsewhere}:v`)).toBe(0);
  });

  test('a slot moving away: the source refuses every call holding one of its students, even those whose keys are all still there; once moved, the new node serves them', async () => {
    const route = clusterRoute(client, lua);
    const source = masters[0]!;
    const target = masters[1]!;
    const [moving, other] = tagsOn(source, 2, 'moving');
    const slot = hashSlot(moving!);
    const portOf = (address: string) => address.split(':')[1]!;
    const idOf = async (address: string) => (await cluster.cli('-p', portOf(address), 'cluster', 'myid')).trim();
    const [sourceId, targetId] = await Promise.all([idOf(source), idOf(target)]);
    await client.set(`${moving}:n`, 10);
    await client.set(`${moving}:v`, 'before');
    await cluster.cli('-p', portOf(target), 'cluster', 'setslot', String(slot), 'importing', sourceId);
    await cluster.cli('-p', portOf(source), 'cluster', 'setslot', String(slot), 'migrating', targetId);
    let owner = sourceId;
    try {
      const students = [
        { tag: other!, value: 'o' },
        { tag: moving!, value: 'm' },
      ];
      const [refused] = await route.callNode(source, call(students));
      expect(refused?.message).toStartWith('TRYAGAIN ');
      expect(await client.exists(`${other}:n`, `${other}:v`)).toBe(0);
      expect(await client.get(`${moving}:v`)).toBe('before');

      await cluster.cli('-p', portOf(source), 'migrate', '127.0.0.1', portOf(target), '', '0', '5000', 'keys', `${moving}:n`, `${moving}:v`);
      for (const address of [source, target]) await cluster.cli('-p', portOf(address), 'cluster', 'setslot', String(slot), 'node', targetId);
      owner = targetId;
      const [err, replies] = await route.callNode(target, call([{ tag: moving!, value: 'after' }]));
      expect(err).toBeNull();
      expect(replies).toEqual([11]);
    } finally {
      if (owner === sourceId) for (const address of [source, target]) await cluster.cli('-p', portOf(address), 'cluster', 'setslot', String(slot), 'node', sourceId);
    }
  });

  test('a node that lost its scripts (restart, SCRIPT FLUSH) answers NOSCRIPT having written nothing (the batcher sends such a call through the cluster client); the next call loads the script again and the node serves it', async () => {
    const route = clusterRoute(client, lua);
    const node = masters[2]!;
    const [first, second, third] = tagsOn(node, 3, 'flushed');
    const one = (tag: string) => route.callNode(node, call([{ tag, value: tag }]));
    expect((await one(first!))[0]).toBeNull();
    await cluster.cli('-p', node.split(':')[1]!, 'script', 'flush');
    const [refused] = await one(second!);
    expect(refused?.message).toStartWith('NOSCRIPT');
    expect(await client.exists(`${second}:n`)).toBe(0);
    const [err, replies] = await one(third!);
    expect(err).toBeNull();
    expect(replies).toEqual([1]);
  });

  test('the batcher with a stale slot map: the students the node refused go again through the cluster client, and each is written once', async () => {
    // Without auto-pipelining, which would route the script by its key count (client.ts).
    const plain = new Cluster(clusterSeeds(cluster.url));
    await waitUntilReady(plain, 10_000);
    plain.defineCommand('nodeCallTest', { lua });
    const script = (plain as unknown as { nodeCallTest: StudentScriptFn }).nodeCallTest.bind(plain);
    const route = clusterRoute(client, lua);
    // Every student is sent to the first master, as if the map were stale for two thirds of the slots.
    const batcher = new StudentScriptBatcher(script, 8, { nodeOf: () => masters[0], callNode: route.callNode });
    const tags = Array.from({ length: 60 }, (_, i) => `{stale-${i}}`);
    const replies = await Promise.all(tags.map((tag) => batcher.submit(keysOf(tag), [tag])));
    expect(replies).toEqual(tags.map(() => 1));
    expect(await Promise.all(tags.map((t) => client.get(`${t}:n`)))).toEqual(tags.map(() => '1'));
    expect(await Promise.all(tags.map((t) => client.get(`${t}:v`)))).toEqual(tags);
    expect(new Set(tags.map((t) => nodeAddress(hashSlot(t)))).size).toBe(3);
    plain.disconnect();
  });
});
