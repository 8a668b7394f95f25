import type { RedisClient } from './client';
import type { StudentRef } from '../../ports/mastery-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { RecommendationFeedback, RecommendationRecord, RecommendationStore, RecordOutcome, ServedRecommendation, ServedSet } from '../../ports/recommendation-store.port';
import { guard } from './guard';
import { recommendationKeys, studentKeys, studentTag } from './keys';
import eraseScript from './rec-erase.lua' with { type: 'text' };
import feedbackScript from './rec-feedback.lua' with { type: 'text' };
import recordScript from './rec-record.lua' with { type: 'text' };

export interface RedisRecommendationStoreOptions {
  /** RECOMMENDATION_CACHE_TTL_S in ms. */
  cacheTtlMs: number;
  /** How long served recommendations and feedback are kept (STATE_TTL_DAYS), in ms. */
  retentionMs: number;
  maxRecords: number;
  /** How long the erasure marker is kept (ERASURE_RETENTION_DAYS), in seconds. */
  erasureRetentionSeconds: number;
  pseudonymize: Pseudonymizer;
}

type RecordFn = (cache: string, served: string, order: string, feedback: string, erased: string, ...args: (string | number)[]) => Promise<string[]>;
type FeedbackFn = (served: string, feedback: string, id: string, json: string, cutoff: number) => Promise<number>;
type EraseFn = (cache: string, served: string, order: string, feedback: string, erased: string, at: number, retentionSeconds: number) => Promise<number>;
type RedisWithScripts = RedisClient & { recRecord: RecordFn; recFeedback: FeedbackFn; recErase: EraseFn };

/** `${generatedAt}\t${key}\t${JSON}`: the key and time are read by rec-record.lua without decoding JSON. */
const encodeSet = (s: ServedSet): string => `${s.generatedAt}\t${s.key}\t${JSON.stringify(s.recommendations)}`;
function decodeSet(raw: string): ServedSet {
  const [at, key] = raw.split('\t', 2) as [string, string];
  return { generatedAt: Number(at), key, recommendations: JSON.parse(raw.slice(at.length + key.length + 2)) as ServedRecommendation[] };
}
const afterBar = (raw: string): string => raw.slice(raw.indexOf('|') + 1);

/**
 * RecommendationStore on Redis, every key under the student's hash tag. The cache is a Redis key
 * every replica reads, not process memory; an entry is served only under its answer key, which
 * contains the student's event fingerprint, so an event applied by any replica makes it unused
 * without anyone deleting it. Expiry is decided from `now` as well as by the keys' TTLs, so the
 * contract holds to the millisecond and tests need not wait.
 */
export class RedisRecommendationStore implements RecommendationStore {
  private readonly redis: RedisWithScripts;

  constructor(
    redis: RedisClient,
    private readonly opts: RedisRecommendationStoreOptions,
  ) {
    redis.defineCommand('recRecord', { numberOfKeys: 5, lua: recordScript });
    redis.defineCommand('recFeedback', { numberOfKeys: 2, lua: feedbackScript });
    redis.defineCommand('recErase', { numberOfKeys: 5, lua: eraseScript });
    this.redis = redis as RedisWithScripts;
  }

  private keysOf(ref: StudentRef) {
    const tag = studentTag(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId));
    return { ...recommendationKeys(tag), erased: studentKeys(tag).erased };
  }

  latest(ref: StudentRef, now: number): Promise<ServedSet | undefined> {
    return guard(async () => {
      const raw = await this.redis.get(this.keysOf(ref).cache);
      if (raw === null) return undefined;
      const set = decodeSet(raw);
      return now - set.generatedAt < this.opts.cacheTtlMs ? set : undefined;
    });
  }

  record(ref: StudentRef, set: ServedSet, erasedSince: number): Promise<RecordOutcome> {
    return guard(async () => {
      const k = this.keysOf(ref);
      const pairs = set.recommendations.flatMap((r) => [r.recommendationId, `${r.servedAt}|${JSON.stringify(r)}`]);
      const [kind, cached] = await this.redis.recRecord(
        k.cache, k.served, k.order, k.feedback, k.erased,
        set.key, set.generatedAt, this.opts.cacheTtlMs, erasedSince, this.opts.retentionMs, this.opts.maxRecords, encodeSet(set), ...pairs,
      );
      if (kind === 'existing') return { kind, set: decodeSet(cached!) };
      return kind === 'erased' ? { kind: 'erased' } : { kind: 'recorded' };
    });
  }

  feedback(ref: StudentRef, recommendationId: string, feedback: RecommendationFeedback): Promise<'recorded' | 'not_found'> {
    return guard(async () => {
      const k = this.keysOf(ref);
      const done = await this.redis.recFeedback(k.served, k.feedback, recommendationId, JSON.stringify(feedback), feedback.at - this.opts.retentionMs);
      return done === 1 ? 'recorded' : 'not_found';
    });
  }

  history(ref: StudentRef, now: number): Promise<RecommendationRecord[]> {
    return guard(async () => {
      const k = this.keysOf(ref);
      const [order, served, feedback] = await Promise.all([this.redis.lrange(k.order, 0, -1), this.redis.hgetall(k.served), this.redis.hgetall(k.feedback)]);
      const cutoff = now - this.opts.retentionMs;
      return order.flatMap((entry) => {
        const id = afterBar(entry);
        const raw = served[id];
        if (raw === undefined || Number(entry.slice(0, entry.indexOf('|'))) <= cutoff) return [];
        const record: RecommendationRecord = JSON.parse(afterBar(raw)) as ServedRecommendation;
        const f = feedback[id];
        return [f === undefined ? record : { ...record, feedback: JSON.parse(f) as RecommendationFeedback }];
      });
    });
  }

  eraseStudent(ref: StudentRef, at: number): Promise<void> {
    return guard(async () => {
      const k = this.keysOf(ref);
      await this.redis.recErase(k.cache, k.served, k.order, k.feedback, k.erased, at, this.opts.erasureRetentionSeconds);
    });
  }
}
