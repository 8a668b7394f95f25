import type { StudentRef } from '../../ports/mastery-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { RecommendationFeedback, RecommendationRecord, RecommendationStore, RecordOutcome, ServedRecommendation, ServedSet } from '../../ports/recommendation-store.port';

export interface RecommendationStoreOptions {
  /** RECOMMENDATION_CACHE_TTL_S in ms: how long an answer is served again while nothing changed. */
  cacheTtlMs: number;
  /** How long a served recommendation and its feedback are kept (STATE_TTL_DAYS). */
  retentionMs: number;
  /** The newest records kept per student. */
  maxRecords: number;
  /** How long an erasure is remembered to refuse a racing write (ERASURE_RETENTION_DAYS). */
  erasureRetentionMs: number;
  pseudonymize: Pseudonymizer;
}

interface StudentRecs {
  cache?: ServedSet;
  /** Newest set first, each set in the order it was served. */
  records: RecommendationRecord[];
}

const copyRec = <T extends ServedRecommendation>(r: T): T => ({ ...r, ...(r.items ? { items: [...r.items] } : {}), ...('feedback' in r && r.feedback ? { feedback: { ...r.feedback } } : {}) });
const copySet = (s: ServedSet): ServedSet => ({ ...s, recommendations: s.recommendations.map(copyRec) });

/**
 * The embedded default and the test double. One process holds it, so there is no other replica
 * to invalidate for; each method runs in one JavaScript turn, which makes record atomic.
 */
export class MemoryRecommendationStore implements RecommendationStore {
  private readonly students = new Map<string, StudentRecs>();
  /** tenant + pseudonym -> erasure time and when it is forgotten; never the student id. */
  private readonly erasures = new Map<string, { at: number; until: number }>();

  constructor(private readonly opts: RecommendationStoreOptions) {}

  private keyOf(ref: StudentRef): string {
    return `${ref.tenantId}\u0000${this.opts.pseudonymize(ref.tenantId, ref.studentId)}`;
  }

  async latest(ref: StudentRef, now: number): Promise<ServedSet | undefined> {
    const cache = this.students.get(this.keyOf(ref))?.cache;
    return cache && this.fresh(cache, cache.key, now) ? copySet(cache) : undefined;
  }

  private fresh(cache: ServedSet, key: string, now: number): boolean {
    return cache.key === key && now - cache.generatedAt < this.opts.cacheTtlMs;
  }

  async record(ref: StudentRef, set: ServedSet, erasedSince: number): Promise<RecordOutcome> {
    const k = this.keyOf(ref);
    const erasure = this.erasures.get(k);
    if (erasure && erasure.until > set.generatedAt && erasure.at >= erasedSince) return { kind: 'erased' };
    const student: StudentRecs = this.students.get(k) ?? { records: [] };
    if (student.cache && this.fresh(student.cache, set.key, set.generatedAt)) return { kind: 'existing', set: copySet(student.cache) };
    student.cache = copySet(set);
    student.records = [...set.recommendations.map(copyRec), ...student.records].filter((r) => this.live(r, set.generatedAt)).slice(0, this.opts.maxRecords);
    this.students.set(k, student);
    return { kind: 'recorded' };
  }

  async feedback(ref: StudentRef, recommendationId: string, feedback: RecommendationFeedback): Promise<'recorded' | 'not_found'> {
    const student = this.students.get(this.keyOf(ref));
    const record = student?.records.find((r) => r.recommendationId === recommendationId);
    if (!student || !record || !this.live(record, feedback.at)) return 'not_found';
    record.feedback = { ...feedback };
    return 'recorded';
  }

  async history(ref: StudentRef, now: number): Promise<RecommendationRecord[]> {
    return (this.students.get(this.keyOf(ref))?.records ?? []).filter((r) => this.live(r, now)).map(copyRec);
  }

  async eraseStudent(ref: StudentRef, at: number): Promise<void> {
    const k = this.keyOf(ref);
    this.students.delete(k);
    const previous = this.erasures.get(k);
    this.erasures.set(k, { at: Math.max(at, previous?.at ?? at), until: at + this.opts.erasureRetentionMs });
  }

  private live(r: ServedRecommendation, now: number): boolean {
    return now - r.servedAt < this.opts.retentionMs;
  }
}
