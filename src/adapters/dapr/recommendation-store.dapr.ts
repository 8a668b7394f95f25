import type { StudentRef } from '../../ports/mastery-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { RecommendationFeedback, RecommendationRecord, RecommendationStore, RecordOutcome, ServedRecommendation, ServedSet } from '../../ports/recommendation-store.port';
import { studentDaprKeys } from './keys';
import type { DaprState } from './state';

export interface DaprRecommendationStoreOptions {
  cacheTtlMs: number;
  retentionMs: number;
  maxRecords: number;
  erasureRetentionSeconds: number;
  pseudonymize: Pseudonymizer;
}

/** One student's latest answer, the records served (newest first) and an erasure record. */
interface StudentRecs {
  cache?: ServedSet;
  records: RecommendationRecord[];
  erasure?: { at: number; until: number };
}

/**
 * RecommendationStore on a Dapr state store: one document per student (by pseudonym), so the
 * fresh-entry check, the erasure check, the cache and the history change in one ETag-conditioned
 * write; two replicas recording at once end with one set (the loser re-reads and finds `existing`).
 */
export class DaprRecommendationStore implements RecommendationStore {
  constructor(
    private readonly state: DaprState,
    private readonly opts: DaprRecommendationStoreOptions,
  ) {}

  private keyOf(ref: StudentRef): string {
    return studentDaprKeys(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId)).recommendations;
  }

  private fresh(cache: ServedSet | undefined, key: string, now: number): cache is ServedSet {
    return cache !== undefined && cache.key === key && now - cache.generatedAt < this.opts.cacheTtlMs;
  }

  private live(r: ServedRecommendation, now: number): boolean {
    return now - r.servedAt < this.opts.retentionMs;
  }

  async cached(ref: StudentRef, key: string, now: number): Promise<ServedSet | undefined> {
    const cache = (await this.state.get<StudentRecs>(this.keyOf(ref)))?.value.cache;
    return this.fresh(cache, key, now) ? cache : undefined;
  }

  record(ref: StudentRef, set: ServedSet, erasedSince: number): Promise<RecordOutcome> {
    return this.state.update<StudentRecs, RecordOutcome>(this.keyOf(ref), (doc) => {
      const erasure = doc?.erasure;
      if (erasure && erasure.until > set.generatedAt && erasure.at >= erasedSince) return { result: { kind: 'erased' } };
      if (this.fresh(doc?.cache, set.key, set.generatedAt)) return { result: { kind: 'existing', set: doc!.cache! } };
      const records = [...set.recommendations, ...(doc?.records ?? [])].filter((r) => this.live(r, set.generatedAt)).slice(0, this.opts.maxRecords);
      const next: StudentRecs = { cache: set, records, ...(erasure ? { erasure } : {}) };
      return { value: next, ttlSeconds: this.ttlOf(next, set.generatedAt), result: { kind: 'recorded' } };
    });
  }

  feedback(ref: StudentRef, recommendationId: string, feedback: RecommendationFeedback): Promise<'recorded' | 'not_found'> {
    return this.state.update<StudentRecs, 'recorded' | 'not_found'>(this.keyOf(ref), (doc) => {
      const i = doc?.records.findIndex((r) => r.recommendationId === recommendationId) ?? -1;
      if (!doc || i < 0 || !this.live(doc.records[i]!, feedback.at)) return { result: 'not_found' };
      const next = structuredClone(doc);
      next.records[i]!.feedback = { ...feedback };
      return { value: next, ttlSeconds: this.ttlOf(next, feedback.at), result: 'recorded' };
    });
  }

  async history(ref: StudentRef, now: number): Promise<RecommendationRecord[]> {
    return ((await this.state.get<StudentRecs>(this.keyOf(ref)))?.value.records ?? []).filter((r) => this.live(r, now));
  }

  eraseStudent(ref: StudentRef, at: number): Promise<void> {
    return this.state.update<StudentRecs, void>(this.keyOf(ref), (doc) => ({
      value: { records: [], erasure: { at: Math.max(at, doc?.erasure?.at ?? at), until: at + this.opts.erasureRetentionSeconds * 1000 } },
      ttlSeconds: this.opts.erasureRetentionSeconds,
      result: undefined,
    }));
  }

  /** Kept while the newest record or the erasure record must be. */
  private ttlOf(doc: StudentRecs, now: number): number {
    const newest = Math.max(0, ...doc.records.map((r) => r.servedAt));
    const until = Math.max(newest + this.opts.retentionMs, doc.erasure?.until ?? 0, (doc.cache?.generatedAt ?? 0) + this.opts.cacheTtlMs);
    return Math.max(1, (until - now) / 1000);
  }
}
