import type { Clock } from '../../ports/clock.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { keyOfRequestField, requestFieldOf, type CachedPrediction, type PredictionCache, type PredictionKey } from '../../ports/prediction-cache.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import { studentDaprKeys } from './keys';
import type { DaprState } from './state';

export interface DaprPredictionCacheOptions {
  clock: Clock;
  ttlSeconds: number;
  /** Requests kept per student at most; the oldest go first. */
  maxEntriesPerStudent?: number;
  pseudonymize: Pseudonymizer;
}

/** One student's entries, all under the one fingerprint they were computed for, and an erasure time. */
interface StudentPredictions {
  fingerprint?: string;
  /** request field -> entry */
  entries: Record<string, { cachedAt: number; value: unknown }>;
  erasedAt?: number;
}

/**
 * PredictionCache on a Dapr state store: one document per student (by pseudonym), replaced by an
 * ETag-conditioned write, with the cache TTL. Nothing is kept in this process, so another
 * replica's writes cannot make it wrong; a new fingerprint replaces the old entries whole, and an
 * erasure leaves only its time, which refuses puts computed before it for the TTL.
 */
export class DaprPredictionCache implements PredictionCache {
  private readonly maxEntries: number;

  constructor(
    private readonly state: DaprState,
    private readonly opts: DaprPredictionCacheOptions,
  ) {
    this.maxEntries = opts.maxEntriesPerStudent ?? 64;
  }

  private keyOf(ref: StudentRef): string {
    return studentDaprKeys(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId)).predictions;
  }

  private fresh(cachedAt: number): boolean {
    return this.opts.clock.now() - cachedAt < this.opts.ttlSeconds * 1000;
  }

  async getPrediction<T>(ref: StudentRef, key: PredictionKey): Promise<CachedPrediction<T> | undefined> {
    const doc = (await this.state.get<StudentPredictions>(this.keyOf(ref)))?.value;
    const entry = doc?.fingerprint === key.fingerprint ? doc.entries[requestFieldOf(key)] : undefined;
    if (!entry || !this.fresh(entry.cachedAt)) return undefined;
    return { key: { ...key, ...(key.topicIds ? { topicIds: [...key.topicIds] } : {}) }, value: entry.value as T, cachedAt: entry.cachedAt };
  }

  putPrediction<T>(ref: StudentRef, entry: CachedPrediction<T>): Promise<void> {
    return this.state.update<StudentPredictions, void>(this.keyOf(ref), (doc) => {
      if (doc?.erasedAt !== undefined && entry.cachedAt <= doc.erasedAt) return { result: undefined };
      const next: StudentPredictions = doc?.fingerprint === entry.key.fingerprint ? structuredClone(doc) : { fingerprint: entry.key.fingerprint, entries: {}, ...(doc?.erasedAt === undefined ? {} : { erasedAt: doc.erasedAt }) };
      next.entries[requestFieldOf(entry.key)] = { cachedAt: entry.cachedAt, value: entry.value };
      const byAge = Object.entries(next.entries).sort(([, a], [, b]) => b.cachedAt - a.cachedAt);
      next.entries = Object.fromEntries(byAge.filter(([, e]) => this.fresh(e.cachedAt)).slice(0, this.maxEntries));
      return { value: next, ttlSeconds: this.opts.ttlSeconds, result: undefined };
    });
  }

  async listCached(ref: StudentRef): Promise<CachedPrediction<unknown>[]> {
    const doc = (await this.state.get<StudentPredictions>(this.keyOf(ref)))?.value;
    if (!doc?.fingerprint) return [];
    return Object.entries(doc.entries)
      .filter(([, e]) => this.fresh(e.cachedAt))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([field, e]) => ({ key: keyOfRequestField(doc.fingerprint!, field), value: e.value, cachedAt: e.cachedAt }));
  }

  forgetStudent(ref: StudentRef, at: number): Promise<void> {
    return this.state.update<StudentPredictions, void>(this.keyOf(ref), (doc) => ({
      value: { entries: {}, erasedAt: Math.max(at, doc?.erasedAt ?? at) },
      ttlSeconds: this.opts.ttlSeconds,
      result: undefined,
    }));
  }
}
