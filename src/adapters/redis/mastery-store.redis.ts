import type { RedisClient } from './client';
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
import type { SnapshotWrite, SnapshotWriteResult, SnapshotWriter, StudentReading } from '../../ports/snapshot-writer.port';
import { dayNumber } from '../../domain/mastery/as-of';
import commitScript from './commit.lua' with { type: 'text' };
import { KeyedQueue } from '../ingest/keyed-queue';
import { execChecked, guard } from './guard';
import { sha256 } from '../crypto/hashing';
import eraseScript from './erase.lua' with { type: 'text' };
import snapshotRecordScript from './snapshot-record.lua' with { type: 'text' };
import studentReadScript from './student-read.lua' with { type: 'text' };
import { hashSlot } from './hash-slot';
import { StudentLru } from '../memory/student-lru';
import { studentErasuresKey, studentKeys, studentTag } from './keys';
import { clusterRoute, StudentScriptBatcher, type StudentScriptFn } from './student-script-batcher';
import type { Cluster } from 'ioredis';

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
  /** Commits sent in one script call at most; a call is sent as soon as it has this many. */
  maxCommitsPerCall?: number;
}

type EraseFn = (topics: string, history: string, events: string, erased: string, consent: string, at: number, retentionSeconds: number) => Promise<number>;
/**
 * Students a batch recalculation reads or writes in one script call at most: enough to share the
 * per-call cost, few enough that a call (about 40 us of Redis time per student) keeps interactive
 * commands waiting behind it for a few milliseconds, not tens.
 */
const STUDENTS_PER_SCRIPT_CALL = 64;
/**
 * Commits in one script call at most. Small enough that the first call of a burst is on its way
 * while the process still computes the rest of the burst (Redis and this process work at the same
 * time instead of taking turns), large enough to share the per-call cost: docs/benchmarks.md.
 */
const COMMITS_PER_SCRIPT_CALL = 32;
type RedisWithScripts = RedisClient & { masteryCommit: StudentScriptFn; masteryErase: EraseFn; masterySnapshots: StudentScriptFn; masteryReadStudents: StudentScriptFn };

const DAY_SECONDS = 86_400;
/** How far back a recalculation looks for the snapshot it follows: a state lives at most STATE_TTL_DAYS, so this is generous. */
const MAX_LOOKBACK_DAYS = 400;
/** Fields of the topics hash that are not topics (commit.lua's bookkeeping) start with '~'. */
const META_PREFIX = '~';
/** The topics hash's field holding the version of the latest commit to any topic (commit.lua). */
export const LATEST_VERSION_FIELD = '~v';

/** The version of a stored topic value `${version}|${json}`, without decoding the state. */
const versionOf = (raw: string): string => raw.slice(0, raw.indexOf('|'));

/** Splits a stored topic value `${version}|${json}`. */
function decodeTopic(raw: string): { version: string; state: TopicState } {
  const version = versionOf(raw);
  return { version, state: JSON.parse(raw.slice(version.length + 1)) as TopicState };
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

/**
 * A day snapshot as stored in the history hash: a JSON array of its fields in a fixed order,
 * `[topic, day, at, eventCount (null when unknown), masteryScore, completion, quiz, quality,
 * consistency]`, plus a tenth element `1` for a snapshot a batch recalculation wrote on a day
 * without events. A year of 12 topics is 4,380 values read in one call; as JSON objects they were
 * 1.2 MB and parsed one by one. As arrays they are half the bytes, and since every value starts
 * `["${topic}","${day}"` and '"' sorts below every character an id may hold, plain string order is
 * topic-then-day order: a year sorts natively and parses in one JSON.parse of the joined values.
 */
export function encodeSnapshot(s: DaySnapshot): string {
  const c = s.components;
  const packed: (string | number | null)[] = [s.topicId, s.day, s.at, s.eventCount ?? null, s.masteryScore, c.completion, c.quiz, c.quality, c.consistency];
  if (s.recalculated) packed.push(1);
  return JSON.stringify(packed);
}

type PackedSnapshot = [string, string, number, number | null, number, number, number, number, number, 1?];

const unpack = (f: PackedSnapshot): DaySnapshot => {
  const snapshot: DaySnapshot = {
    topicId: f[0],
    day: f[1],
    masteryScore: f[4],
    components: { completion: f[5], quiz: f[6], quality: f[7], consistency: f[8] },
    at: f[2],
  };
  if (f[3] !== null) snapshot.eventCount = f[3];
  if (f[9] === 1) snapshot.recalculated = true;
  return snapshot;
};

/** One stored snapshot, in either layout. */
const decodeSnapshot = (v: string): DaySnapshot => (v.charCodeAt(0) === 91 /* '[' */ ? unpack(JSON.parse(v) as PackedSnapshot) : (JSON.parse(v) as DaySnapshot));

/**
 * The history hash's values as snapshots ascending by topic then day (the port's order), within
 * the query's bounds. Values written before the packed layout are JSON objects (starting '{'): they
 * stay readable, through the general path, until they expire with the state.
 */
export function decodeHistory(values: string[], q: { topicId?: string | undefined; fromDay?: string | undefined; toDay?: string | undefined }): DaySnapshot[] {
  if (values.some((v) => v.charCodeAt(0) !== 91 /* '[' */)) {
    return selectSnapshots(values.map(decodeSnapshot), q);
  }
  values.sort();
  const out: DaySnapshot[] = [];
  for (const f of JSON.parse(`[${values.join(',')}]`) as PackedSnapshot[]) {
    if ((q.topicId !== undefined && f[0] !== q.topicId) || (q.fromDay !== undefined && f[1] < q.fromDay) || (q.toDay !== undefined && f[1] > q.toDay)) continue;
    out.push(unpack(f));
  }
  return out;
}

/** The consent key's value `${'1' | '0'}|${updatedAt ms}`, or null for none recorded. */
const decodeConsent = (raw: string | null): Consent | undefined => (raw === null ? undefined : { analytics: raw.startsWith('1'), updatedAt: Number(raw.slice(2)) });

/** The version written with a topic's state: a random token, unique to the commit that wrote it ('' for no topic). */
interface VersionedTopic {
  version: string;
  state: TopicState | undefined;
}

const NO_TOPIC: VersionedTopic = { version: '', state: undefined };

/**
 * What this replica keeps of a student it applied events for (RedisMasteryStore.student). Kafka
 * keys events by student, so a replica mostly sees the same students: it keeps their keys, to skip
 * the pseudonym, the key strings and the slot, and the topic states it wrote last, to skip the read
 * before a commit. The keys are a function of the ids alone. A state's version is never trusted
 * over another replica's write or erasure: every commit checks the cached version against the
 * stored one in the same Lua step as the write, and a version is a token drawn at random per
 * commit, so it matches only the very write that made it, whatever was erased or rewritten since.
 * A stale entry costs one failed check and a re-read.
 */
interface CachedStudent {
  /** The student's keys, built once: the pseudonym, the key strings and their hash slot are the same on every event. */
  readonly keys: ReturnType<typeof studentKeys>;
  /** commit.lua's keys, in its order. */
  readonly commitKeys: string[];
  /** The hash slot of every key of the student (they share one hash tag). */
  readonly slot: number;
  /** The topic states this replica wrote last, with their versions. */
  readonly topics: Map<string, VersionedTopic>;
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
  /** The students this replica applied events for, the least recently used dropped past `cachedStudents`. */
  private readonly students: StudentLru<CachedStudent>;
  private readonly commits: StudentScriptBatcher;
  private readonly snapshots: StudentScriptBatcher;
  private readonly reads: StudentScriptBatcher;

  constructor(
    redis: RedisClient,
    private readonly opts: RedisStoreOptions,
  ) {
    if (opts.idempotencyRetentionMs > opts.stateTtlSeconds * 1000) {
      throw new Error('idempotency retention must not exceed the state TTL: the idempotency set expires with the state');
    }
    redis.defineCommand('masteryCommit', { lua: commitScript });
    redis.defineCommand('masteryErase', { numberOfKeys: 5, lua: eraseScript });
    redis.defineCommand('masterySnapshots', { lua: snapshotRecordScript });
    redis.defineCommand('masteryReadStudents', { lua: studentReadScript });
    this.redis = redis as RedisWithScripts;
    this.students = new StudentLru(opts.cachedStudents ?? 10_000);
    const route = (lua: string) => (redis.isCluster ? clusterRoute(redis as Cluster, lua) : undefined);
    this.commits = new StudentScriptBatcher(this.redis.masteryCommit.bind(this.redis), opts.maxCommitsPerCall ?? COMMITS_PER_SCRIPT_CALL, route(commitScript));
    this.snapshots = new StudentScriptBatcher(this.redis.masterySnapshots.bind(this.redis), STUDENTS_PER_SCRIPT_CALL, route(snapshotRecordScript));
    this.reads = new StudentScriptBatcher(this.redis.masteryReadStudents.bind(this.redis), STUDENTS_PER_SCRIPT_CALL, route(studentReadScript));
  }

  private keysOf(ref: StudentRef) {
    return studentKeys(studentTag(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId)));
  }

  /** The student's cache entry, created on first use; now the most recently used. */
  private student(ref: StudentRef): CachedStudent {
    const kept = this.students.get(ref.tenantId, ref.studentId);
    if (kept) return kept;
    const keys = this.keysOf(ref);
    const entry: CachedStudent = { keys, commitKeys: [keys.topics, keys.history, keys.events, keys.erased, keys.consent], slot: hashSlot(keys.topics), topics: new Map() };
    this.students.set(ref.tenantId, ref.studentId, entry);
    return entry;
  }

  applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    const student = this.student(req);
    return this.queue.run(student.keys.topics, () => guard(() => this.applyWithRetry(req, student, change)));
  }

  private async applyWithRetry(req: ApplyRequest, student: CachedStudent, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    const { keys } = student;
    const maxRounds = this.opts.maxConflictRetries ?? 50;
    for (let round = 0; round < maxRounds; round++) {
      // First try what this replica last wrote; the commit's version check tells if it is stale.
      let current = round === 0 ? student.topics.get(req.topicId) : undefined;
      if (!current) {
        const [seen, raw] = await Promise.all([this.redis.zscore(keys.events, req.eventId), this.redis.hget(keys.topics, req.topicId)]);
        if (seen !== null) return { kind: 'duplicate' };
        current = raw === null ? NO_TOPIC : decodeTopic(raw);
      }
      const { state, snapshot } = change(current.state && cloneTopicState(current.state));
      const version = crypto.randomUUID();
      const result = Number(await this.commits.submit(
        student.commitKeys,
        [
          req.eventId,
          req.topicId,
          current.version,
          `${version}|${JSON.stringify(state)}`,
          `${req.topicId}|${snapshot.day}`,
          encodeSnapshot(snapshot),
          req.now,
          req.now - this.opts.idempotencyRetentionMs,
          this.opts.stateTtlSeconds,
          req.occurredAt,
          req.consentByDefault ? '1' : '0',
          Math.floor(req.now / DAY_MS),
        ],
        student.slot,
      ));
      if (result === 1) {
        student.topics.set(req.topicId, { version, state: cloneTopicState(state) });
        return { kind: 'applied', state };
      }
      if (result === 0) return { kind: 'duplicate' };
      if (result === 2) return { kind: 'erased' };
      if (result === 3) return { kind: 'no_consent' };
      // The topic changed since we read it (another replica, an expiry or an erasure). Retry
      // from a fresh read, after a short jittered pause so racing replicas do not collide again.
      student.topics.clear();
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
    // Single commands, not one pipeline: the students' keys live in different hash slots, which
    // a cluster client cannot pipeline together; auto-pipelining sends them in one write per node.
    return guard(async () => (await Promise.all(refs.map((ref) => this.redis.hgetall(this.keysOf(ref).topics)))).map(topicsOf));
  }

  /**
   * The version of the student's latest commit, which commit.lua keeps in '~v': a random token
   * drawn per commit, whichever replica made it, gone with the hash on erasure or expiry. A hash
   * written before '~v' existed has none; its token is every topic's version, sorted by topic and
   * hashed (the first commit since adds '~v'). A Lua script computing that in Redis for every hash
   * cost Redis 27 us per call (the whole hash turned into Lua strings).
   */
  evidenceToken(ref: StudentRef): Promise<string> {
    return guard(async () => {
      const key = this.keysOf(ref).topics;
      const latest = await this.redis.hget(key, LATEST_VERSION_FIELD);
      if (latest !== null) return latest;
      const all = await this.redis.hgetall(key);
      const versions: string[] = [];
      for (const field in all) if (!field.startsWith(META_PREFIX)) versions.push(`${field}=${versionOf(all[field]!)}`);
      return versions.length === 0 ? '' : sha256(versions.sort().join(','));
    });
  }

  getHistory(q: HistoryQuery): Promise<DaySnapshot[]> {
    return guard(async () => {
      // Values only: each carries its topic and day, and HGETALL's field strings and object cost a third more.
      return decodeHistory(await this.redis.hvals(this.keysOf(q).history), q);
    });
  }

  readStudents(refs: readonly StudentRef[]): Promise<StudentReading[]> {
    return guard(() =>
      Promise.all(
        refs.map(async (ref) => {
          const k = this.keysOf(ref);
          const [flat, consent] = (await this.reads.submit([k.topics, k.consent], [])) as [string[], string | null];
          const topics = new Map<string, TopicState>();
          for (let i = 0; i < flat.length; i += 2) if (!flat[i]!.startsWith(META_PREFIX)) topics.set(flat[i]!, decodeTopic(flat[i + 1]!).state);
          return { topics, consent: decodeConsent(consent) };
        }),
      ),
    );
  }

  recordSnapshots(ref: StudentRef, writes: readonly SnapshotWrite[]): Promise<SnapshotWriteResult[]> {
    return guard(async () => {
      if (writes.length === 0) return [];
      const k = this.keysOf(ref);
      // Each write's day, and the days back to its latest event's (where the snapshot it follows
      // is at the latest), newest first; the script takes the days once for all the writes.
      const spans = writes.map((w) => {
        const to = dayNumber(w.snapshot.day);
        return { to, count: Math.max(1, to - Math.max(dayOf(w.basis.lastAt), to - MAX_LOOKBACK_DAYS) + 1) };
      });
      const newest = Math.max(...spans.map((s) => s.to));
      const oldest = Math.min(...spans.map((s) => s.to - s.count + 1));
      const args: (string | number)[] = [0, newest - oldest + 1];
      for (let day = newest; day >= oldest; day--) args.push(isoDay(day));
      writes.forEach((w, i) => args.push(w.topicId, w.basis.eventCount, w.basis.lastAt, encodeSnapshot(w.snapshot), newest - spans[i]!.to, spans[i]!.count));
      args[0] = args.length - 1;
      const replies = (await this.snapshots.submit([k.topics, k.history], args)) as (number | string | null)[];
      return writes.map((_, i) => {
        const code = Number(replies[2 * i]);
        const previous = replies[2 * i + 1];
        return {
          outcome: code === 1 ? 'written' : code === 0 ? 'unchanged' : 'stale',
          ...(typeof previous === 'string' ? { previous: decodeSnapshot(previous) } : {}),
        };
      });
    });
  }

  getConsent(ref: StudentRef): Promise<Consent | undefined> {
    return guard(async () => decodeConsent(await this.redis.get(this.keysOf(ref).consent)));
  }

  getConsentMany(refs: readonly StudentRef[]): Promise<(Consent | undefined)[]> {
    // Single GETs, not MGET or one pipeline: the students' keys live in different hash slots.
    return guard(async () => (await Promise.all(refs.map((ref) => this.redis.get(this.keysOf(ref).consent)))).map(decodeConsent));
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
      const pseudonym = this.opts.pseudonymize(ref.tenantId, ref.studentId);
      const k = studentKeys(studentTag(ref.tenantId, pseudonym));
      this.students.peek(ref.tenantId, ref.studentId)?.topics.clear();
      await this.redis.masteryErase(k.topics, k.history, k.events, k.erased, k.consent, at, this.opts.erasureRetentionSeconds);
      // The tenant's index for erasedSince, after the marker and before this call resolves (so
      // before the caller's tombstone): a reader that misses it is followed by that tombstone.
      // GT keeps the latest time, as the marker does; entries past the retention are trimmed.
      const index = studentErasuresKey(ref.tenantId);
      await execChecked(
        this.redis
          .multi()
          .zadd(index, 'GT', at, pseudonym)
          .zremrangebyscore(index, '-inf', `(${at - this.opts.erasureRetentionSeconds * 1000}`)
          .expire(index, this.opts.erasureRetentionSeconds),
      );
    });
  }

  erasedAt(ref: StudentRef): Promise<number | undefined> {
    return guard(async () => {
      const raw = await this.redis.get(this.keysOf(ref).erased);
      return raw === null ? undefined : Number(raw);
    });
  }

  /** One ZRANGEBYSCORE per tenant of the list (erasures are rare: the answer is usually empty). */
  erasedSince(refs: readonly StudentRef[], since: number): Promise<StudentRef[]> {
    return guard(async () => {
      const tenants = [...new Set(refs.map((ref) => ref.tenantId))];
      const erased = new Map<string, Set<string>>();
      await Promise.all(tenants.map(async (t) => erased.set(t, new Set(await this.redis.zrangebyscore(studentErasuresKey(t), since, '+inf')))));
      return refs
        .filter((ref) => {
          const pseudonyms = erased.get(ref.tenantId)!;
          return pseudonyms.size > 0 && pseudonyms.has(this.opts.pseudonymize(ref.tenantId, ref.studentId));
        })
        .map((ref) => ({ tenantId: ref.tenantId, studentId: ref.studentId }));
    });
  }
}

/** The state TTL in seconds for a number of days. */
export const ttlSeconds = (days: number): number => days * DAY_SECONDS;
