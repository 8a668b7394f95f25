import { createHash } from 'node:crypto';
import { ReplyError, type Cluster, type Redis } from 'ioredis';
import { hashSlot } from './hash-slot';
import nodeCallPrelude from './node-call-prelude.lua' with { type: 'text' };

/** A script over many students, defined without a fixed number of keys: one reply per student. */
export type StudentScriptFn = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<unknown[]>;

type ScriptCall = (string | number)[];

/**
 * How calls reach the nodes of a Redis Cluster: the node serving a slot, as this client last
 * learned it, and a call sent straight to a node on that node's own connection (EVALSHA; the node
 * connections do not auto-pipeline). A call holds students of any slots the node serves: the
 * script runs with node-call-prelude.lua before it, which takes the keys from the end of the
 * arguments (Redis refuses declared keys of several slots) and checks that the node serves them
 * all before anything is written. Not the cluster client's pipeline: it hashes every key of every
 * command again to check their slots, which cost a fifth of this process's CPU per apply. A call
 * the node did not run (wrong node, slot moving) answers an error saying so, and the batcher sends
 * its students again through the cluster client, which follows redirections.
 */
export interface ClusterRoute {
  nodeOf(slot: number): string | undefined;
  /**
   * One call, in the prelude's order: the script's arguments, then its keys, the keys per student
   * and the key count. Answers the node's error reply or its replies; rejects when the node could
   * not be asked (no connection to it, the script could not be loaded).
   */
  callNode(node: string, call: ScriptCall): Promise<[Error | null, unknown]>;
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
  // The masters' connections by address, looked up again when one is missing or not ready (the
  // cluster client replaces and closes connections as the topology changes).
  let masters = new Map<string, Redis>();
  const connectionTo = (node: string): Redis | undefined => {
    const known = masters.get(node);
    if (known?.status === 'ready') return known;
    masters = new Map(cluster.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
    return masters.get(node);
  };
  const run = (redis: Redis, call: ScriptCall): Promise<[Error | null, unknown]> =>
    redis.evalsha(sha, 0, ...call).then(
      (replies): [Error | null, unknown] => [null, replies],
      (err: unknown): [Error | null, unknown] => {
        // ioredis types ReplyError as any: the cast lets `instanceof` narrow.
        if (!(err instanceof (ReplyError as typeof Error))) throw err;
        if (err.message.startsWith('NOSCRIPT')) loaded.delete(redis);
        return [err, null];
      },
    );
  return {
    nodeOf: (slot) => cluster.slots[slot]?.[0],
    callNode: (node, call) => {
      const redis = connectionTo(node);
      if (!redis) return Promise.reject(new Error(`no connection to ${node}`));
      if (loaded.has(redis)) return run(redis, call);
      return redis.script('LOAD', script).then(() => {
        loaded.add(redis);
        return run(redis, call);
      });
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
 * A call goes out as soon as `maxPerCall` students are waiting for it, and whatever is left at the
 * end of the event-loop turn goes then. Sending a full call at once, rather than everything at the
 * end of the turn, lets Redis run the first call of a burst while this process still computes the
 * rest: the two work side by side instead of in turns. (The scripts are exempt from ioredis's
 * auto-pipelining for the same reason: it keeps one pipeline per node in flight and holds every
 * later command until that pipeline's last reply, client.ts.)
 *
 * On a Redis Cluster students wait per node, the node serving their slot as this client last
 * learned it, and a call holds students of any of that node's slots (ClusterRoute). A node with
 * many students in a turn gets its full calls as they fill, as one server does: on a one-master
 * cluster, waiting for the end of the turn instead halved the rate (docs/benchmarks.md, Redis
 * Cluster).
 */
export class StudentScriptBatcher {
  /** Students waiting for a call, by node ('' on one server, or when no node is known for the slot). */
  private readonly pending = new Map<string, PendingStudent[]>();
  private scheduled = false;

  constructor(
    private readonly script: StudentScriptFn,
    private readonly maxPerCall: number,
    private readonly cluster?: ClusterRoute,
  ) {}

  /** A student's part of a call: its keys (all of one hash tag), its arguments, and the keys' hash slot when the caller knows it. */
  submit(keys: string[], args: (string | number)[], slot?: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const node = this.cluster?.nodeOf(slot ?? hashSlot(keys[0]!)) ?? '';
      const students = this.pending.get(node) ?? [];
      students.push({ keys, args, resolve, reject });
      if (students.length >= this.maxPerCall) {
        this.pending.delete(node);
        this.sendCall(node, students);
        return;
      }
      this.pending.set(node, students);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    for (const [node, students] of this.pending) this.sendCall(node, students);
    this.pending.clear();
  }

  private sendCall(node: string, students: PendingStudent[]): void {
    if (this.cluster) this.sendToNode(this.cluster, node, students);
    else this.send(students);
  }

  /**
   * Through the cluster client, which routes a call by its keys: one call per slot. The students
   * are one call's, so no slot has more than a call holds.
   */
  private sendBySlot(students: PendingStudent[]): void {
    const slots = new Map<number, PendingStudent[]>();
    for (const p of students) {
      const slot = hashSlot(p.keys[0]!);
      const group = slots.get(slot);
      if (group) group.push(p);
      else slots.set(slot, [p]);
    }
    for (const group of slots.values()) this.send(group);
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
   * A call to one node. A call the node did not run (a slot of it moved or is moving, the script
   * is not loaded there) is sent again through the cluster client, slot by slot, which follows the
   * redirections; as is a call when the node cannot be reached this way at all (no node known for
   * the slot, or its connection is gone). Sending a call again is safe even if it ran: every
   * script batched here is idempotent per student (a commit's event id, a day's snapshot, a
   * read), so a second run answers `duplicate` or `unchanged` and writes nothing.
   */
  private sendToNode(cluster: ClusterRoute, node: string, batch: PendingStudent[]): void {
    cluster
      .callNode(node, StudentScriptBatcher.nodeCallOf(batch))
      .then(([err, replies]) => {
        if (!err) StudentScriptBatcher.answer(batch, replies);
        else if (NOT_RUN.test(err.message)) this.sendBySlot(batch);
        else batch.forEach((s) => s.reject(err));
      })
      .catch(() => this.sendBySlot(batch));
  }
}
