import { addSums, NO_SAMPLES, sampleOf, scopeOf, summarize, type AccuracySums, type AccuracySummary, type AccuracyScope, type RememberedPrediction, type ServedPrediction } from '../../domain/prediction/accuracy';
import { dayOf, isoDay } from '../../domain/mastery/topic-state';
import type { Clock } from '../../ports/clock.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { byCodeUnit, type AccuracyWindow, type DuePrediction, type PredictionLog, type ScoreOutcome } from '../../ports/prediction-log.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import { predictionLogDaprKey } from './keys';
import type { DaprState } from './state';

export interface DaprPredictionLogOptions {
  clock: Clock;
  retentionDays: number;
  pseudonymize: Pseudonymizer;
}

/** A tenant's log: entries per pseudonym (never the student id), per-day sums, recent erasures. */
interface TenantLog {
  /** pseudonym -> `${targetDay}|${topicId or '*'}` -> entry */
  students: Record<string, Record<string, RememberedPrediction>>;
  /** target day -> sums per scope */
  sums: Record<string, Record<AccuracyScope, AccuracySums>>;
  /** pseudonym -> erasure time */
  erased: Record<string, number>;
}

const DAY_S = 86_400;
const fieldOf = (p: Pick<ServedPrediction, 'targetDay' | 'topicId'>): string => `${p.targetDay}|${p.topicId ?? '*'}`;

/**
 * PredictionLog on a Dapr state store: one document per tenant, so scoring an entry and folding it
 * into the day's sums is one ETag-conditioned write (replicas scoring at once: one wins, the
 * others re-read and answer `already_scored`), and an erasure takes the student's entries out of
 * every list in one write. Entries and sums past the retention are dropped as it is written; the
 * document expires a retention after its last write. Limit: a tenant's writes are serialised on
 * one document whose size grows with its students' predictions (see ADR 0013).
 */
export class DaprPredictionLog implements PredictionLog {
  constructor(
    private readonly state: DaprState,
    private readonly opts: DaprPredictionLogOptions,
  ) {}

  private cutoffDay(): string {
    return isoDay(dayOf(this.opts.clock.now()) - this.opts.retentionDays);
  }

  /** One conditional read-modify-write of the tenant's log (queued per tenant in this process by DaprState.update). */
  private change<R>(tenantId: string, step: (log: TenantLog) => { changed: boolean; result: R }): Promise<R> {
    return this.state.update<TenantLog, R>(predictionLogDaprKey(tenantId), (doc) => {
      const log = this.pruned(doc);
      const { changed, result } = step(log);
      return changed ? { value: log, ttlSeconds: (this.opts.retentionDays + 1) * DAY_S, result } : { result };
    });
  }

  private pruned(doc: TenantLog | undefined): TenantLog {
    const log: TenantLog = doc ? structuredClone(doc) : { students: {}, sums: {}, erased: {} };
    const cutoff = this.cutoffDay();
    for (const [p, entries] of Object.entries(log.students)) {
      for (const [f, e] of Object.entries(entries)) if (e.targetDay < cutoff) delete entries[f];
      if (Object.keys(entries).length === 0) delete log.students[p];
    }
    for (const day of Object.keys(log.sums)) if (day < cutoff) delete log.sums[day];
    const oldest = this.opts.clock.now() - this.opts.retentionDays * DAY_S * 1000;
    for (const [p, at] of Object.entries(log.erased)) if (at < oldest) delete log.erased[p];
    return log;
  }

  private async read(tenantId: string): Promise<TenantLog> {
    return this.pruned((await this.state.get<TenantLog>(predictionLogDaprKey(tenantId)))?.value);
  }

  rememberServed(ref: StudentRef, predictions: readonly ServedPrediction[]): Promise<void> {
    const pseudonym = this.opts.pseudonymize(ref.tenantId, ref.studentId);
    return this.change(ref.tenantId, (log) => {
      const erasedAt = log.erased[pseudonym];
      const entries = log.students[pseudonym] ?? {};
      let changed = false;
      for (const p of predictions) {
        if (erasedAt !== undefined && p.servedAt <= erasedAt) continue;
        if (entries[fieldOf(p)] === undefined) {
          entries[fieldOf(p)] = { ...p, baselines: { ...p.baselines } };
          changed = true;
        }
      }
      if (changed) log.students[pseudonym] = entries;
      return { changed, result: undefined };
    });
  }

  async dueForScoring(query: { tenantId: string; asOfDay: string; limit: number; student?: StudentRef }): Promise<DuePrediction[]> {
    const log = await this.read(query.tenantId);
    const only = query.student && this.opts.pseudonymize(query.student.tenantId, query.student.studentId);
    const due: DuePrediction[] = [];
    for (const [pseudonym, entries] of Object.entries(log.students)) {
      if (only !== undefined && pseudonym !== only) continue;
      for (const [field, e] of Object.entries(entries)) if (e.actual === undefined && e.targetDay < query.asOfDay) due.push({ ...e, id: `${pseudonym}|${field}`, pseudonym });
    }
    return due.sort((a, b) => byCodeUnit(a.targetDay, b.targetDay) || byCodeUnit(a.id, b.id)).slice(0, query.limit);
  }

  recordActual(tenantId: string, prediction: DuePrediction, actual: number, scoredAt: number): Promise<ScoreOutcome> {
    return this.change<ScoreOutcome>(tenantId, (log) => {
      const entry = log.students[prediction.pseudonym]?.[fieldOf(prediction)];
      if (!entry) return { changed: false, result: { kind: 'unknown' } };
      if (entry.actual !== undefined) return { changed: false, result: { kind: 'already_scored' } };
      entry.actual = actual;
      entry.scoredAt = scoredAt;
      const day = log.sums[entry.targetDay] ?? { topics: NO_SAMPLES, overall: NO_SAMPLES };
      day[scopeOf(entry)] = addSums(day[scopeOf(entry)], sampleOf(entry, actual));
      log.sums[entry.targetDay] = day;
      return { changed: true, result: { kind: 'scored' } };
    });
  }

  async accuracySummary(w: AccuracyWindow): Promise<AccuracySummary> {
    let total = NO_SAMPLES;
    for (const [day, sums] of Object.entries((await this.read(w.tenantId)).sums)) if (day >= w.fromDay && day <= w.toDay) total = addSums(total, sums[w.scope]);
    return summarize(total);
  }

  async listRemembered(ref: StudentRef): Promise<RememberedPrediction[]> {
    const entries = (await this.read(ref.tenantId)).students[this.opts.pseudonymize(ref.tenantId, ref.studentId)] ?? {};
    return Object.entries(entries)
      .sort(([a], [b]) => byCodeUnit(a, b))
      .map(([, e]) => e);
  }

  forgetStudent(ref: StudentRef, at: number): Promise<void> {
    const pseudonym = this.opts.pseudonymize(ref.tenantId, ref.studentId);
    return this.change(ref.tenantId, (log) => {
      delete log.students[pseudonym];
      log.erased[pseudonym] = Math.max(at, log.erased[pseudonym] ?? at);
      return { changed: true, result: undefined };
    });
  }
}
