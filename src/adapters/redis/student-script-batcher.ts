import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { hashSlot } from './hash-slot';
import nodeCallPrelude from './node-call-prelude.lua' with { type: 'text' };

/** A script over many students, defined without a fixed number of keys: one reply per student. */
export type StudentScriptFn = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<unknown[]>;

type ScriptCall = (string | number)[];

/**
 * How calls reach the nodes of a Redis Cluster: the node serving a slot, as this client last
 * learned it, and several calls sent to one node in one pipeline on that node's own connection,
 * each answering on its own. A call holds students of any slots the node serves: the script runs
 * with node-call-prelude.lua before it, which takes the keys from the end of the arguments (Redis
 * refuses declared keys of several slots) and checks that the node serves them all before anything
 * is written. Not the cluster client's pipeline: it hashes every key of every command again to
 * check their slots, which cost a fifth of this process's CPU per apply. A call the node did not
 * run (wrong node, slot moving) answers an error saying so, and the batcher sends its students
 * again through the cluster client, which follows redirections.
 */
export interface ClusterRoute {
  nodeOf(slot: number): string | undefined;
  /** Each call: the script's arguments, then its keys, the keys per student and the key count (the prelude's order). */
  callMany(node: string, calls: ScriptCall[]): Promise<[Error | null, unknown][]>;
}

/**
 * A cluster client's route for the script `lua`: the prelude and the script, by SHA1, loaded on a
 * node's connection before its first call there and again after that node answers NOSCRIPT (a
 * restart, a failover); the calls NOSCRIPT refused go through the cluster client meanwhile.
 */
export function clusterRoute(cluster: Cluster, lua: string): ClusterRoute {
  const script = nodeCallPrelude + lua;
  const sha = createHash('sha1').update(script).digest('hex');
  const loaded = new WeakSet<Redis>();
  return {
    nodeOf: (slot) => cluster.slots[slot]?.[0],
    callMany: async (node, calls) => {
      const redis = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === node);
      if (!redis) throw new Error(`no connection to ${node}`);
      if (!loaded.has(redis)) {
        await redis.script('LOAD', script);
        loaded.add(redis);
      }
      const pipeline = redis.pipeline();
      for (const c of calls) pipeline.evalsha(sha, 0, ...c);
      const replies = await pipeline.exec();
      if (!replies) throw new Error('pipeline discarded');
      if (replies.some(([err]) => err?.message.startsWith('NOSCRIPT'))) loaded.delete(redis);
      return replies;
    },
  };
}

/** A reply meaning the node did not run the call (the slot is elsewhere or moving, the cluster is down, the script not loaded there): safe to send again. */
const NOT_RUN = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|NOSCRIPT) /;

interface PendingStudent {
  keys: string[];
  args: (string | number)[];
  resolve: (reply: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * Gathers the calls of one script issued for many students into one call: commits (a Kafka batch,
 * an HTTP batch, concurrent requests) and a batch chunk's reads and snapshot writes. Per call,
 * Redis and ioredis each pay a fixed cost larger than one student's work, so it is shared instead
 * of paid per student. The script takes each student's keys in turn, then each student's
 * arguments, and answers one reply per student; each student's part succeeds or fails on its own
 * and stays atomic (the whole call is).
 *
 * On one server a call goes out as soon as `maxPerCall` students are waiting, and whatever is left
 * at the end of the event-loop turn goes then. Sending a full call at once, rather than everything
 * at the end of the turn, lets Redis run the first call of a burst while this process still
 * computes the rest: the two work side by side instead of in turns. (The scripts are exempt from
 * ioredis's auto-pipelining for the same reason: it keeps one pipeline per node in flight and holds
 * every later command until that pipeline's last reply, client.ts.)
 *
 * On a Redis Cluster students are grouped by the node serving their slot (as this client last
 * learned it), and a node's calls (of up to `maxPerCall` students each, of any of its slots) go in
 * one pipeline (ClusterRoute). There everything waits for the end of the turn: the nodes already
 * work side by side, and a turn's calls in one write per node cost less than the same calls in
 * several (docs/benchmarks.md, Redis Cluster).
 */
export class StudentScriptBatcher {
  private pending: PendingStudent[] = [];
  private scheduled = false;

  constructor(
    private readonly script: StudentScriptFn,
    private readonly maxPerCall: number,
    private readonly cluster?: ClusterRoute,
  ) {}

  submit(keys: string[], args: (string | number)[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ keys, args, resolve, reject });
      if (!this.cluster && this.pending.length >= this.maxPerCall) {
        this.flush();
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const all = this.pending;
    if (all.length === 0) return;
    this.pending = [];
    if (!this.cluster) {
      this.sendInCalls(all);
      return;
    }
    const nodes = new Map<string, PendingStudent[]>();
    for (const p of all) {
      const node = this.cluster.nodeOf(hashSlot(p.keys[0]!)) ?? '';
      const students = nodes.get(node);
      if (students) students.push(p);
      else nodes.set(node, [p]);
    }
    for (const [node, students] of nodes) this.sendMany(this.cluster, node, this.inCalls(students));
  }

  private inCalls(students: PendingStudent[]): PendingStudent[][] {
    const calls: PendingStudent[][] = [];
    for (let i = 0; i < students.length; i += this.maxPerCall) calls.push(students.slice(i, i + this.maxPerCall));
    return calls;
  }

  private sendInCalls(students: PendingStudent[]): void {
    for (const call of this.inCalls(students)) this.send(call);
  }

  /** Through the cluster client, which routes a call by its keys: one call per slot. */
  private sendBySlot(students: PendingStudent[]): void {
    const slots = new Map<number, PendingStudent[]>();
    for (const p of students) {
      const slot = hashSlot(p.keys[0]!);
      const group = slots.get(slot);
      if (group) group.push(p);
      else slots.set(slot, [p]);
    }
    for (const group of slots.values()) this.sendInCalls(group);
  }

  /** One call with declared keys: each student's keys in turn, then each student's arguments. */
  private static callOf(batch: PendingStudent[]): ScriptCall {
    const keysThenArgs: ScriptCall = [0];
    for (const s of batch) for (const k of s.keys) keysThenArgs.push(k);
    keysThenArgs[0] = keysThenArgs.length - 1;
    for (const s of batch) for (const a of s.args) keysThenArgs.push(a);
    return keysThenArgs;
  }

  /** One call to one cluster node, in node-call-prelude.lua's order: the arguments, the keys, the keys per student, the key count. */
  private static nodeCallOf(batch: PendingStudent[]): ScriptCall {
    const call: ScriptCall = [];
    for (const s of batch) for (const a of s.args) call.push(a);
    const from = call.length;
    for (const s of batch) for (const k of s.keys) call.push(k);
    call.push(batch[0]!.keys.length, call.length - from);
    return call;
  }

  private static answer(batch: PendingStudent[], replies: unknown): void {
    batch.forEach((s, j) => s.resolve((replies as unknown[])[j]));
  }

  private send(batch: PendingStudent[]): void {
    const [keyCount, ...keysThenArgs] = StudentScriptBatcher.callOf(batch);
    this.script(keyCount as number, ...keysThenArgs)
      .then((replies) => StudentScriptBatcher.answer(batch, replies))
      .catch((err: Error) => batch.forEach((s) => s.reject(err)));
  }

  /**
   * Calls bound for one node in one pipeline. A call the node did not run (a slot of it moved or is
   * moving, the script is not loaded there) is sent again through the cluster client, slot by
   * slot, which follows the redirections; as is every call when the node cannot be reached this
   * way at all (no node known for the slot, or its connection is gone). Sending a call again is
   * safe even if it ran: every script batched here is idempotent per student (a commit's event id,
   * a day's snapshot, a read), so a second run answers `duplicate` or `unchanged` and writes nothing.
   */
  private sendMany(cluster: ClusterRoute, node: string, batches: PendingStudent[][]): void {
    cluster
      .callMany(node, batches.map(StudentScriptBatcher.nodeCallOf))
      .then((results) =>
        batches.forEach((batch, i) => {
          const [err, replies] = results[i] ?? [new Error('no reply'), null];
          if (!err) StudentScriptBatcher.answer(batch, replies);
          else if (NOT_RUN.test(err.message)) this.sendBySlot(batch);
          else batch.forEach((s) => s.reject(err));
        }),
      )
      .catch(() => batches.forEach((batch) => this.sendBySlot(batch)));
  }
}
