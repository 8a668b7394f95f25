import { addSums, NO_SAMPLES, sampleOf, scopeOf, summarize, type AccuracyScope, type AccuracySums, type AccuracySummary, type RememberedPrediction, type ServedPrediction } from '../../domain/prediction/accuracy';
import { dayOf, isoDay } from '../../domain/mastery/topic-state';
import type { Clock } from '../../ports/clock.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { byCodeUnit, type AccuracyWindow, type DuePrediction, type PredictionLog, type ScoreOutcome } from '../../ports/prediction-log.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';

export interface MemoryPredictionLogOptions {
  clock: Clock;
  /** Days an entry and a day's sums are kept after their target day (PREDICTION_LOG_RETENTION_DAYS). */
  retentionDays: number;
  pseudonymize: Pseudonymizer;
}

interface TenantLog {
  /** Students above which a write first sweeps out entries past the retention (doubles with the live set). */
  sweepAbove: number;
  /** pseudonym -> `${targetDay}|${topicId or '*'}` -> entry; never the student id. */
  students: Map<string, Map<string, RememberedPrediction>>;
  /** pseudonym -> erasure time, kept for the retention. */
  erased: Map<string, number>;
  /** target day -> sums per scope. */
  sums: Map<string, Record<AccuracyScope, AccuracySums>>;
}

const SWEEP_ABOVE = 10_000;
const fieldOf = (p: Pick<ServedPrediction, 'targetDay' | 'topicId'>): string => `${p.targetDay}|${p.topicId ?? '*'}`;
const copy = <T extends ServedPrediction>(p: T): T => ({ ...p, baselines: { ...p.baselines } });

/**
 * One process's log: the embedded default and the test double. Each method runs without awaiting,
 * so a score is counted once by construction. Entries and sums older than the retention are
 * dropped as the log is written (students by a sweep whose threshold doubles with the live set, so
 * it costs O(1) per write amortised), so memory follows the retention, not the uptime.
 */
export class MemoryPredictionLog implements PredictionLog {
  private readonly tenants = new Map<string, TenantLog>();

  constructor(private readonly opts: MemoryPredictionLogOptions) {}

  async rememberServed(ref: StudentRef, predictions: readonly ServedPrediction[]): Promise<void> {
    const log = this.tenant(ref.tenantId);
    const pseudonym = this.opts.pseudonymize(ref.tenantId, ref.studentId);
    const erasedAt = log.erased.get(pseudonym);
    const entries = log.students.get(pseudonym) ?? new Map<string, RememberedPrediction>();
    const cutoff = this.cutoffDay();
    for (const [field, e] of entries) if (e.targetDay < cutoff) entries.delete(field);
    for (const p of predictions) {
      if (erasedAt !== undefined && p.servedAt <= erasedAt) continue;
      if (!entries.has(fieldOf(p))) entries.set(fieldOf(p), copy(p));
    }
    if (entries.size > 0) log.students.set(pseudonym, entries);
    if (log.students.size > log.sweepAbove) this.sweep(log, cutoff);
  }

  private sweep(log: TenantLog, cutoff: string): void {
    for (const [pseudonym, entries] of log.students) {
      for (const [field, e] of entries) if (e.targetDay < cutoff) entries.delete(field);
      if (entries.size === 0) log.students.delete(pseudonym);
    }
    log.sweepAbove = Math.max(SWEEP_ABOVE, log.students.size * 2);
  }

  async dueForScoring(query: { tenantId: string; asOfDay: string; limit: number; student?: StudentRef }): Promise<DuePrediction[]> {
    const log = this.tenant(query.tenantId);
    const only = query.student && this.opts.pseudonymize(query.student.tenantId, query.student.studentId);
    const cutoff = this.cutoffDay();
    const due: DuePrediction[] = [];
    for (const [pseudonym, entries] of log.students) {
      if (only !== undefined && pseudonym !== only) continue;
      for (const [field, e] of entries) {
        if (e.actual === undefined && e.targetDay >= cutoff && e.targetDay < query.asOfDay) due.push({ ...copy(e), id: `${pseudonym}|${field}`, pseudonym });
      }
    }
    return due.sort((a, b) => byCodeUnit(a.targetDay, b.targetDay) || byCodeUnit(a.id, b.id)).slice(0, query.limit);
  }

  async recordActual(tenantId: string, prediction: DuePrediction, actual: number, scoredAt: number): Promise<ScoreOutcome> {
    const log = this.tenant(tenantId);
    const entry = log.students.get(prediction.pseudonym)?.get(fieldOf(prediction));
    if (!entry) return { kind: 'unknown' };
    if (entry.actual !== undefined) return { kind: 'already_scored' };
    entry.actual = actual;
    entry.scoredAt = scoredAt;
    const day = log.sums.get(entry.targetDay) ?? { topics: NO_SAMPLES, overall: NO_SAMPLES };
    day[scopeOf(entry)] = addSums(day[scopeOf(entry)], sampleOf(entry, actual));
    log.sums.set(entry.targetDay, day);
    const cutoff = this.cutoffDay();
    for (const d of log.sums.keys()) if (d < cutoff) log.sums.delete(d);
    return { kind: 'scored' };
  }

  async accuracySummary(w: AccuracyWindow): Promise<AccuracySummary> {
    let total = NO_SAMPLES;
    for (const [day, sums] of this.tenant(w.tenantId).sums) if (day >= w.fromDay && day <= w.toDay) total = addSums(total, sums[w.scope]);
    return summarize(total);
  }

  async listRemembered(ref: StudentRef): Promise<RememberedPrediction[]> {
    const entries = this.tenants.get(ref.tenantId)?.students.get(this.opts.pseudonymize(ref.tenantId, ref.studentId));
    const cutoff = this.cutoffDay();
    return [...(entries?.entries() ?? [])]
      .filter(([, e]) => e.targetDay >= cutoff)
      .sort(([a], [b]) => byCodeUnit(a, b))
      .map(([, e]) => copy(e));
  }

  async forgetStudent(ref: StudentRef, at: number): Promise<void> {
    const log = this.tenant(ref.tenantId);
    const pseudonym = this.opts.pseudonymize(ref.tenantId, ref.studentId);
    log.students.delete(pseudonym);
    const oldest = this.opts.clock.now() - this.opts.retentionDays * 86_400_000;
    for (const [p, t] of log.erased) if (t < oldest) log.erased.delete(p);
    log.erased.set(pseudonym, Math.max(at, log.erased.get(pseudonym) ?? at));
  }

  /** Target days before this are past the retention. */
  private cutoffDay(): string {
    return isoDay(dayOf(this.opts.clock.now()) - this.opts.retentionDays);
  }

  private tenant(tenantId: string): TenantLog {
    let log = this.tenants.get(tenantId);
    if (!log) {
      log = { sweepAbove: SWEEP_ABOVE, students: new Map(), erased: new Map(), sums: new Map() };
      this.tenants.set(tenantId, log);
    }
    return log;
  }
}
