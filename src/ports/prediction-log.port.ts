import type { AccuracyScope, AccuracySummary, RememberedPrediction, ServedPrediction } from '../domain/prediction/accuracy';
import type { StudentRef } from './mastery-store.port';

/** A remembered prediction whose day has passed and that has no actual yet. */
export interface DuePrediction extends ServedPrediction {
  /** Opaque; names the student by pseudonym only. */
  id: string;
  /** The student's pseudonym: the log never holds the student id. */
  pseudonym: string;
}

export type ScoreOutcome = { kind: 'scored' } | { kind: 'already_scored' } | { kind: 'unknown' };

export interface AccuracyWindow {
  tenantId: string;
  /** Inclusive target days, YYYY-MM-DD. */
  fromDay: string;
  toDay: string;
  scope: AccuracyScope;
}

/**
 * Served predictions kept so they can be scored once their day has passed. Promises:
 * - entries are filed under the student's pseudonym only, and kept for the retention
 *   (PREDICTION_LOG_RETENTION_DAYS) after their target day; the summaries for as long.
 * - `rememberServed` keeps the first prediction for each (student, target day, topic): later ones
 *   for the same day and topic, from cache hits or other replicas, change nothing. It refuses,
 *   for the retention, predictions served at or before the student's erasure.
 * - `dueForScoring` lists at most `limit` unscored entries of the tenant whose target day is before
 *   `asOfDay`, oldest day first, then by id (code-unit order); with `student`, only that student's
 *   (a scorer that knows the student id can read their history; the log alone cannot name them).
 * - `recordActual` takes an entry as `dueForScoring` returned it and scores it exactly once, however
 *   many replicas score it concurrently (the others get `already_scored`), folding it into the
 *   tenant's per-day sums in the same atomic step.
 * - `accuracySummary` sums the scored predictions whose target day is in the window.
 * - `forgetStudent` removes every entry of the student at once; sums already folded stay: they
 *   hold totals per tenant and day, nobody's own values. `listRemembered` returns the student's
 *   entries (scored or not) for the export, by target day then topic, as copies.
 * - backend failures reject with StoreUnavailableError.
 */
export interface PredictionLog {
  rememberServed(ref: StudentRef, predictions: readonly ServedPrediction[]): Promise<void>;
  dueForScoring(query: { tenantId: string; asOfDay: string; limit: number; student?: StudentRef }): Promise<DuePrediction[]>;
  recordActual(tenantId: string, prediction: DuePrediction, actual: number, scoredAt: number): Promise<ScoreOutcome>;
  accuracySummary(window: AccuracyWindow): Promise<AccuracySummary>;
  listRemembered(ref: StudentRef): Promise<RememberedPrediction[]>;
  forgetStudent(ref: StudentRef, at: number): Promise<void>;
}

/** The order lists come in: code units, as Redis orders bytes (localeCompare would not agree with it). */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
