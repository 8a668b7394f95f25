import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';
import type { Consent } from '../../domain/compliance/consent';
import { cloneTopicState, DAY_MS, dayOf, isoDay, selectSnapshots, type DaySnapshot, type TopicState } from '../../domain/mastery/topic-state';
import {
  StoreUnavailableError,
  type ApplyOutcome,
  type ApplyRequest,
  type HistoryQuery,
  type MasteryStore,
  type StudentRef,
  type TopicChange,
} from '../../ports/mastery-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { SnapshotWrite, SnapshotWriteResult, SnapshotWriter } from '../../ports/snapshot-writer.port';
import { dayNumber } from '../../domain/mastery/as-of';
import commitScript from './commit.lua' with { type: 'text' };
import { KeyedQueue } from '../ingest/keyed-queue';
import { guard } from './guard';
import eraseScript from './erase.lua' with { type: 'text' };
import snapshotRecordScript from './snapshot-record.lua' with { type: 'text' };
import { studentKeys, studentTag } from './keys';

export interface RedisStoreOptions {
  stateTtlSeconds: number;
  idempotencyRetentionMs: number;
  /** How long an erasure is remembered to refuse late events (seconds). */
  erasureRetentionSeconds: number;
  pseudonymize: Pseudonymizer;
  /** Rounds of read-compute-commit before giving up on a topic other writers keep changing. */
  maxConflictRetries?: number;
  /** Students whose last written topic versions are kept to skip the read before a commit. */
  cachedStudents?: number;
  /** Commits sent in one script call at most. */
  maxCommitsPerCall?: number;
}

type CommitFn = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<number[]>;
type EraseFn = (topics: string, history: string, events: string, erased: string, consent: string, at: number, retentionSeconds: number) => Promise<number>;
type SnapshotRecordFn = (topics: string, history: string, ...args: (string | number)[]) => Promise<(number | string | null)[]>;
type RedisWithScripts = Redis & { masteryCommit: CommitFn; masteryErase: EraseFn; masterySnapshots: SnapshotRecordFn };

const DAY_SECONDS = 86_400;
/** commit.lua takes each commit's keys as topics, history, events, erased marker, consent. */
const KEYS_PER_COMMIT = 5;
/** How far back a recalculation looks for the snapshot it follows: a state lives at most STATE_TTL_DAYS, so this is generous. */
const MAX_LOOKBACK_DAYS = 400;
/** Fields of the topics hash that are not topics (commit.lua's bookkeeping) start with '~'. */
const META_PREFIX = '~';

/** Splits a stored topic value `${version}|${json}`. */
function decodeTopic(raw: string): { version: string; state: TopicState } {
  const bar = raw.indexOf('|');
  return { version: raw.slice(0, bar), state: JSON.parse(raw.slice(bar + 1)) as TopicState };
}

/**
 * A student's topics hash as topic id -> state, without commit.lua's bookkeeping fields. A plain
 * loop: every mastery query runs it, and entries/filter/map showed in the API's CPU profile.
 */
function topicsOf(all: Record<string, string>): Map<string, TopicState> {
  const topics = new Map<string, TopicState>();
  for (const field in all) {
    if (!field.startsWith(META_PREFIX)) topics.set(field, decodeTopic(all[field]!).state);
  }
  return topics;
}

/** The consent key's value `${'1' | '0'}|${updatedAt ms}`, or null for none recorded. */
const decodeConsent = (raw: string | null): Consent | undefined => (raw === null ? undefined : { analytics: raw.startsWith('1'), updatedAt: Number(raw.slice(2)) });

/** Runs a pipeline and returns its replies in order; the first command error rejects the whole read. */
async function execAll<T>(pipeline: ChainableCommander): Promise<T[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value as T;
  });
}

/** The version written with a topic's state: a random token, unique to the commit that wrote it ('' for no topic). */
interface VersionedTopic {
  version: string;
  state: TopicState | undefined;
}

const NO_TOPIC: VersionedTopic = { version: '', state: undefined };

/**
 * The topic states this replica wrote last, with their versions, most recently used last.
 * Kafka keys events by student, so a replica mostly sees the same students and can skip the
 * read before a commit. Another replica's write or erasure is never trusted away: every commit
 * checks the cached version against the stored one in the same Lua step as the write, and a
 * version is a token drawn at random per commit, so it matches only the very write that made
 * it, whatever was erased or rewritten since. A stale entry costs one failed check and a re-read.
 */
class VersionCache {
  private readonly students = new Map<string, Map<string, VersionedTopic>>();
  constructor(private readonly maxStudents: number) {}
  get(studentKey: string, topicId: string): VersionedTopic | undefined {
    const topics = this.students.get(studentKey);
    if (!topics) return undefined;
    this.students.delete(studentKey);
    this.students.set(studentKey, topics);
    return topics.get(topicId);
  }
  set(studentKey: string, topicId: string, entry: VersionedTopic): void {
    const topics = this.students.get(studentKey) ?? new Map<string, VersionedTopic>();
    topics.set(topicId, entry);
    this.students.delete(studentKey);
    this.students.set(studentKey, topics);
    if (this.students.size > this.maxStudents) this.students.delete(this.students.keys().next().value!);
  }
  forget(studentKey: string): void {
    this.students.delete(studentKey);
  }
}

interface PendingCommit {
  keys: string[];
  args: (string | number)[];
  resolve: (code: number) => void;
  reject: (err: Error) => void;
}

/**
 * Gathers the commits issued in one turn of the event loop and sends them in one script call:
 * with many events in flight (a Kafka batch, an HTTP batch, concurrent requests) the cost of a
 * call is shared instead of paid per event. Each commit still succeeds or fails on its own.
 */
class CommitBatcher {
  private pending: PendingCommit[] = [];
  private scheduled = false;

  constructor(
    private readonly redis: RedisWithScripts,
    private readonly maxPerCall: number,
  ) {}

  submit(keys: string[], args: (string | number)[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ keys, args, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += this.maxPerCall) {
      const batch = all.slice(i, i + this.maxPerCall);
      this.redis
        .masteryCommit(batch.length * KEYS_PER_COMMIT, ...batch.flatMap((c) => c.keys), ...batch.flatMap((c) => c.args))
        .then((codes) => batch.forEach((c, j) => c.resolve(Number(codes[j]))))
        .catch((err: Error) => batch.forEach((c) => c.reject(err)));
    }
  }
}

/**
 * MasteryStore on Redis. An apply is one Lua commit that checks erasure, consent, idempotency and
 * the topic's version and writes state, snapshot and idempotency record atomically, in one round
 * trip when this replica's cached version is current; otherwise a pipelined read comes first.
 * Commits issued together share one script call. A version conflict re-reads and tries again.
 * The keys' TTLs are renewed daily, so a student's data expires STATE_TTL_DAYS after their last
 * activity.
 */
export class RedisMasteryStore implements MasteryStore, SnapshotWriter {
  private readonly redis: RedisWithScripts;
  private readonly queue = new KeyedQueue();
  private readonly cache: VersionCache;
  private readonly commits: CommitBatcher;

  constructor(
    redis: Redis,
    private readonly opts: RedisStoreOptions,
  ) {
    if (opts.idempotencyRetentionMs > opts.stateTtlSeconds * 1000) {
      throw new Error('idempotency retention must not exceed the state TTL: the idempotency set expires with the state');
    }
    redis.defineCommand('masteryCommit', { lua: commitScript });
    redis.defineCommand('masteryErase', { numberOfKeys: 5, lua: eraseScript });
    redis.defineCommand('masterySnapshots', { numberOfKeys: 2, lua: snapshotRecordScript });
    this.redis = redis as RedisWithScripts;
    this.cache = new VersionCache(opts.cachedStudents ?? 10_000);
    this.commits = new CommitBatcher(this.redis, opts.maxCommitsPerCall ?? 128);
  }

  private keysOf(ref: StudentRef) {
    return studentKeys(studentTag(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId)));
  }

  applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    const keys = this.keysOf(req);
    return this.queue.run(keys.topics, () => guard(() => this.applyWithRetry(req, keys, change)));
  }

  private async applyWithRetry(
    req: ApplyRequest,
    keys: ReturnType<typeof studentKeys>,
    change: (current: TopicState | undefined) => TopicChange,
  ): Promise<ApplyOutcome> {
    const maxRounds = this.opts.maxConflictRetries ?? 50;
    for (let round = 0; round < maxRounds; round++) {
      // First try what this replica last wrote; the commit's version check tells if it is stale.
      let current = round === 0 ? this.cache.get(keys.topics, req.topicId) : undefined;
      if (!current) {
        const [seen, raw] = await Promise.all([this.redis.zscore(keys.events, req.eventId), this.redis.hget(keys.topics, req.topicId)]);
        if (seen !== null) return { kind: 'duplicate' };
        current = raw === null ? NO_TOPIC : decodeTopic(raw);
      }
      const { state, snapshot } = change(current.state && cloneTopicState(current.state));
      const version = crypto.randomUUID();
      const result = await this.commits.submit(
        [keys.topics, keys.history, keys.events, keys.erased, keys.consent],
        [
          req.eventId,
          req.topicId,
          current.version,
          `${version}|${JSON.stringify(state)}`,
          `${req.topicId}|${snapshot.day}`,
          JSON.stringify(snapshot),
          req.now,
          req.now - this.opts.idempotencyRetentionMs,
          this.opts.stateTtlSeconds,
          req.occurredAt,
          req.consentByDefault ? '1' : '0',
          Math.floor(req.now / DAY_MS),
        ],
      );
      if (result === 1) {
        this.cache.set(keys.topics, req.topicId, { version, state: cloneTopicState(state) });
        return { kind: 'applied', state };
      }
      if (result === 0) return { kind: 'duplicate' };
      if (result === 2) return { kind: 'erased' };
      if (result === 3) return { kind: 'no_consent' };
      // The topic changed since we read it (another replica, an expiry or an erasure). Retry
      // from a fresh read, after a short jittered pause so racing replicas do not collide again.
      this.cache.forget(keys.topics);
      if (round > 0) await Bun.sleep(Math.random() * Math.min(50, 2 ** round));
    }
    throw new StoreUnavailableError(`topic kept changing under ${maxRounds} attempts; try again`);
  }

  getTopic(ref: StudentRef, topicId: string): Promise<TopicState | undefined> {
    return guard(async () => {
      const raw = await this.redis.hget(this.keysOf(ref).topics, topicId);
      return raw === null ? undefined : decodeTopic(raw).state;
    });
  }

  listTopics(ref: StudentRef): Promise<Map<string, TopicState>> {
    return guard(async () => topicsOf(await this.redis.hgetall(this.keysOf(ref).topics)));
  }

  listTopicsMany(refs: readonly StudentRef[]): Promise<Map<string, TopicState>[]> {
    return guard(async () => {
      const pipeline = this.redis.pipeline();
      for (const ref of refs) pipeline.hgetall(this.keysOf(ref).topics);
      return (await execAll<Record<string, string>>(pipeline)).map(topicsOf);
    });
  }

  getHistory(q: HistoryQuery): Promise<DaySnapshot[]> {
    return guard(async () => {
      const all = await this.redis.hgetall(this.keysOf(q).history);
      return selectSnapshots(
        Object.values(all).map((raw) => JSON.parse(raw) as DaySnapshot),
        q,
      );
    });
  }

  recordSnapshots(ref: StudentRef, writes: readonly SnapshotWrite[]): Promise<SnapshotWriteResult[]> {
    return guard(async () => {
      if (writes.length === 0) return [];
      const k = this.keysOf(ref);
      const args = writes.flatMap((w) => {
        // The days to look back through for the snapshot this one follows, newest first.
        const to = dayNumber(w.snapshot.day);
        const from = Math.max(dayOf(w.basis.lastAt), to - MAX_LOOKBACK_DAYS);
        const days = Array.from({ length: Math.max(1, to - from + 1) }, (_, i) => `${w.topicId}|${isoDay(to - i)}`);
        return [w.topicId, w.basis.eventCount, w.basis.lastAt, `${w.topicId}|${w.snapshot.day}`, JSON.stringify(w.snapshot), days.length, ...days];
      });
      const replies = await this.redis.masterySnapshots(k.topics, k.history, ...args);
      return writes.map((_, i) => {
        const code = Number(replies[2 * i]);
        const previous = replies[2 * i + 1];
        return {
          outcome: code === 1 ? 'written' : code === 0 ? 'unchanged' : 'stale',
          ...(typeof previous === 'string' ? { previous: JSON.parse(previous) as DaySnapshot } : {}),
        };
      });
    });
  }

  getConsent(ref: StudentRef): Promise<Consent | undefined> {
    return guard(async () => decodeConsent(await this.redis.get(this.keysOf(ref).consent)));
  }

  getConsentMany(refs: readonly StudentRef[]): Promise<(Consent | undefined)[]> {
    return guard(async () => {
      // A pipeline, not MGET: the students' keys live in different hash slots.
      const pipeline = this.redis.pipeline();
      for (const ref of refs) pipeline.get(this.keysOf(ref).consent);
      return (await execAll<string | null>(pipeline)).map(decodeConsent);
    });
  }

  setConsent(ref: StudentRef, consent: Consent): Promise<void> {
    return guard(async () => {
      const key = this.keysOf(ref).consent;
      const value = `${consent.analytics ? '1' : '0'}|${consent.updatedAt}`;
      // A withdrawal is kept until the student grants again; a grant lives as long as the state.
      if (consent.analytics) await this.redis.set(key, value, 'EX', this.opts.stateTtlSeconds);
      else await this.redis.set(key, value);
    });
  }

  eraseStudent(ref: StudentRef, at: number): Promise<void> {
    return guard(async () => {
      const k = this.keysOf(ref);
      this.cache.forget(k.topics);
      await this.redis.masteryErase(k.topics, k.history, k.events, k.erased, k.consent, at, this.opts.erasureRetentionSeconds);
    });
  }

  erasedAt(ref: StudentRef): Promise<number | undefined> {
    return guard(async () => {
      const raw = await this.redis.get(this.keysOf(ref).erased);
      return raw === null ? undefined : Number(raw);
    });
  }
}

/** The state TTL in seconds for a number of days. */
export const ttlSeconds = (days: number): number => days * DAY_SECONDS;
