import type { RedisClient } from './client';
import type { Clock } from '../../ports/clock.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { keyOfRequestField, requestFieldOf, type CachedPrediction, type PredictionCache, type PredictionKey } from '../../ports/prediction-cache.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import forgetScript from './prediction-cache-forget.lua' with { type: 'text' };
import putScript from './prediction-cache-put.lua' with { type: 'text' };
import { guard } from './guard';
import { studentKeys, studentTag } from './keys';

export interface RedisPredictionCacheOptions {
  clock: Clock;
  ttlSeconds: number;
  /** Requests cached per student and fingerprint before the hash starts afresh: bounds a student's key. */
  maxEntriesPerStudent?: number;
  pseudonymize: Pseudonymizer;
}

type PutFn = (key: string, fingerprint: string, field: string, entry: string, cachedAt: number, ttl: number, max: number) => Promise<number>;
type ForgetFn = (key: string, at: number, ttl: number) => Promise<number>;
type RedisWithScripts = RedisClient & { predictionCachePut: PutFn; predictionCacheForget: ForgetFn };

/**
 * One hash per student under the student's tag (`predictions` in keys.ts), so an erasure is one
 * atomic step on one key. Shared by all replicas: what one puts, the others read. A read is one
 * HMGET of the fingerprint and the entry: a hit needs both to match, so an entry of evidence that
 * has changed since is never served, whoever wrote it. Age is checked against `cachedAt` on read,
 * since Redis 7.0 has no TTL per hash field; the key's own TTL, renewed by every put, removes
 * students nobody asks about.
 */
export class RedisPredictionCache implements PredictionCache {
  private readonly redis: RedisWithScripts;
  private readonly maxEntries: number;

  constructor(
    redis: RedisClient,
    private readonly opts: RedisPredictionCacheOptions,
  ) {
    redis.defineCommand('predictionCachePut', { numberOfKeys: 1, lua: putScript });
    redis.defineCommand('predictionCacheForget', { numberOfKeys: 1, lua: forgetScript });
    this.redis = redis as RedisWithScripts;
    this.maxEntries = opts.maxEntriesPerStudent ?? 64;
  }

  getPrediction<T>(ref: StudentRef, key: PredictionKey): Promise<CachedPrediction<T> | undefined> {
    return guard(async () => {
      const [fingerprint, raw] = await this.redis.hmget(this.keyOf(ref), '~f', requestFieldOf(key));
      if (fingerprint !== key.fingerprint || !raw) return undefined;
      const bar = raw.indexOf('|');
      const cachedAt = Number(raw.slice(0, bar));
      if (this.opts.clock.now() - cachedAt >= this.opts.ttlSeconds * 1000) return undefined;
      return { key: { ...key, ...(key.topicIds ? { topicIds: [...key.topicIds] } : {}) }, value: JSON.parse(raw.slice(bar + 1)) as T, cachedAt };
    });
  }

  putPrediction<T>(ref: StudentRef, entry: CachedPrediction<T>): Promise<void> {
    return guard(async () => {
      await this.redis.predictionCachePut(
        this.keyOf(ref),
        entry.key.fingerprint,
        requestFieldOf(entry.key),
        `${entry.cachedAt}|${JSON.stringify(entry.value)}`,
        entry.cachedAt,
        this.opts.ttlSeconds,
        this.maxEntries,
      );
    });
  }

  listCached(ref: StudentRef): Promise<CachedPrediction<unknown>[]> {
    return guard(async () => {
      const { '~f': fingerprint, '~e': _erased, ...entries } = await this.redis.hgetall(this.keyOf(ref));
      if (fingerprint === undefined) return [];
      const now = this.opts.clock.now();
      return Object.entries(entries)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([field, raw]) => ({ field, bar: raw.indexOf('|'), raw }))
        .map(({ field, bar, raw }) => ({ key: keyOfRequestField(fingerprint, field), value: JSON.parse(raw.slice(bar + 1)) as unknown, cachedAt: Number(raw.slice(0, bar)) }))
        .filter((e) => now - e.cachedAt < this.opts.ttlSeconds * 1000);
    });
  }

  forgetStudent(ref: StudentRef, at: number): Promise<void> {
    return guard(async () => {
      await this.redis.predictionCacheForget(this.keyOf(ref), at, this.opts.ttlSeconds);
    });
  }

  private keyOf(ref: StudentRef): string {
    return studentKeys(studentTag(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId))).predictions;
  }
}
