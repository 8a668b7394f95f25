import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import calculateSlot from 'cluster-key-slot';
import { createRedisClient } from '../../src/adapters/redis/client';
import { StudentScriptBatcher } from '../../src/adapters/redis/student-script-batcher';

/** A script that records each call's keys and arguments and answers when the test says. */
function recordingScript() {
  const calls: { keys: string[]; args: (string | number)[]; answer: (replies: unknown[]) => void; fail: (err: Error) => void }[] = [];
  const script = (keyCount: number, ...keysThenArgs: (string | number)[]) =>
    new Promise<unknown[]>((resolve, reject) => {
      calls.push({ keys: keysThenArgs.slice(0, keyCount) as string[], args: keysThenArgs.slice(keyCount), answer: resolve, fail: reject });
    });
  return { calls, script };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('StudentScriptBatcher', () => {
  test('a full call leaves at once, without waiting for the end of the turn; the rest leaves when the turn ends', async () => {
    const { calls, script } = recordingScript();
    const batcher = new StudentScriptBatcher(script, 3);
    for (let i = 0; i < 4; i++) void batcher.submit([`k${i}`], [i]);
    expect(calls.map((c) => c.keys)).toEqual([['k0', 'k1', 'k2']]);
    await nextTurn();
    expect(calls.map((c) => c.keys)).toEqual([['k0', 'k1', 'k2'], ['k3']]);
    await nextTurn();
    expect(calls).toHaveLength(2);
  });

  test("each student gets its own reply; a failed call rejects its own students only", async () => {
    const { calls, script } = recordingScript();
    const batcher = new StudentScriptBatcher(script, 2);
    const results = [0, 1, 2].map((i) => batcher.submit([`k${i}`, `h${i}`], [`a${i}`, i]));
    await nextTurn();
    expect(calls.map((c) => [c.keys, c.args])).toEqual([
      [['k0', 'h0', 'k1', 'h1'], ['a0', 0, 'a1', 1]],
      [['k2', 'h2'], ['a2', 2]],
    ]);
    calls[0]!.answer(['first', 'second']);
    calls[1]!.fail(new Error('redis down'));
    expect(await results[0]).toBe('first');
    expect(await results[1]).toBe('second');
    await expect(results[2]!).rejects.toThrow('redis down');
  });

  describe('on a cluster', () => {
    const keys = ['{t:a}:topics', '{t:b}:topics', '{t:a}:topics', '{t:c}:topics', '{t:d}:topics'];
    const slotOf = (k: string) => calculateSlot(k);
    // Two nodes: slots of a and b on one, c and d on the other.
    const nodeOf = (slot: number) => ([slotOf(keys[0]!), slotOf(keys[1]!)].includes(slot) ? 'n1' : 'n2');

    /** The keys of a node call, in node-call-prelude.lua's order: arguments, keys, keys per student, key count. */
    const keysOfNodeCall = (c: (string | number)[]) => {
      const n = c[c.length - 1] as number;
      return c.slice(c.length - 2 - n, c.length - 2) as string[];
    };

    test("the students of one node share calls of up to maxPerCall, whatever their slots; a node's full call leaves at once, the rest when the turn ends", async () => {
      const sent: { node: string; call: (string | number)[] }[] = [];
      const { calls, script } = recordingScript();
      const batcher = new StudentScriptBatcher(script, 2, {
        nodeOf,
        callNode: async (node, call) => {
          sent.push({ node, call });
          return [null, keysOfNodeCall(call).map((k) => `ok ${k}`)];
        },
      });
      const answers = keys.map((k) => batcher.submit([k], [`arg ${k}`]));
      // Before the turn ends: each node's first two students, n1's of two slots.
      expect(sent.map((p) => [p.node, p.call])).toEqual([
        ['n1', [`arg ${keys[0]}`, `arg ${keys[1]}`, keys[0]!, keys[1]!, 1, 2]],
        ['n2', [`arg ${keys[3]}`, `arg ${keys[4]}`, keys[3]!, keys[4]!, 1, 2]],
      ]);
      expect(slotOf(keys[0]!)).not.toBe(slotOf(keys[1]!));
      expect(await Promise.all(answers)).toEqual(keys.map((k) => `ok ${k}`));
      expect(calls).toHaveLength(0);
      expect(sent.slice(2).map((p) => [p.node, p.call])).toEqual([['n1', [`arg ${keys[2]}`, keys[2]!, 1, 1]]]);
    });

    test('a call the node did not run goes again through the cluster client, one call per slot; other errors reach their students', async () => {
      const { calls, script } = recordingScript();
      const batcher = new StudentScriptBatcher(script, 8, {
        nodeOf,
        callNode: async (node, call) => {
          if (node === 'n1') return [new Error('TRYAGAIN keys of this call are not all served by this node'), null];
          if (keysOfNodeCall(call).includes(keys[3]!)) return [new Error('ERR out of memory'), null];
          return [null, ['ran']];
        },
      });
      const settled = [keys[0]!, keys[1]!, keys[3]!, keys[4]!].map((k) =>
        batcher.submit([k], [`arg ${k}`]).then(
          (reply) => reply,
          (err: Error) => `failed: ${err.message}`,
        ),
      );
      await nextTurn();
      await nextTurn();
      expect(calls.map((c) => [c.keys, c.args])).toEqual([
        [[keys[0]!], [`arg ${keys[0]}`]],
        [[keys[1]!], [`arg ${keys[1]}`]],
      ]);
      calls[0]!.answer(['a after the redirection']);
      calls[1]!.answer(['b after the redirection']);
      expect(await Promise.all(settled)).toEqual([
        'a after the redirection',
        'b after the redirection',
        'failed: ERR out of memory',
        'failed: ERR out of memory',
      ]);
    });
  });
});

describe('the Redis client and the batched scripts', () => {
  test('every script defined without a key count is exempt from auto-pipelining', () => {
    // ioredis keeps one auto-pipeline per server in flight and holds later commands until its last
    // reply: a batched script in it would wait for the previous batch instead of overlapping it.
    const dir = join(import.meta.dir, '..', '..', 'src', 'adapters', 'redis');
    const defined = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/defineCommand\('(\w+)', \{ (\w+)/g)])
      .filter((m) => m[2] !== 'numberOfKeys')
      .map((m) => m[1]!);
    expect(defined.length).toBeGreaterThanOrEqual(6);
    const client = createRedisClient('redis://127.0.0.1:1', 100);
    client.on('error', () => {});
    try {
      expect(client.options.enableAutoPipelining).toBe(true);
      expect([...client.options.autoPipeliningIgnoredCommands!].sort()).toEqual([...defined].sort());
    } finally {
      client.disconnect();
    }
  });
});
