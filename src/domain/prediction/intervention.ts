import type { Forecast } from './forecast';

/** When a teacher should look: the thresholds come from configuration (INTERVENTION_*). */
export interface InterventionPolicy {
  /** Predicted mastery below this needs help (INTERVENTION_THRESHOLD, the predecessor's 0.5). */
  threshold: number;
  /** A predicted fall of more than this many mastery points per week (INTERVENTION_DECLINE_PER_WEEK). */
  declinePerWeek: number;
  /** More days than this since the last activity (INTERVENTION_INACTIVE_DAYS). */
  inactiveDays: number;
}

export type ReasonCode = 'predicted_below_threshold' | 'declining' | 'inactive' | 'review_overdue' | 'insufficient_history';

export interface Reason {
  code: ReasonCode;
  message: string;
}

/** Reasons that make a topic need intervention; the others only inform. */
const ALERTS: ReadonlySet<ReasonCode> = new Set(['predicted_below_threshold', 'declining', 'inactive']);

export interface TopicSignals {
  forecast: Forecast;
  horizonDays: number;
  idleDays: number;
  /** Days the topic has been observed (from its first active day). */
  observedDays: number;
  /** Whether the review the retention model asked for is past. */
  reviewOverdue: boolean;
}

/** Below this many days of history a forecast is mostly prior: said so, not hidden. */
export const MIN_HISTORY_DAYS = 7;

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** The reasons a teacher sees for one topic, and whether any of them calls for intervention. */
export function topicReasons(s: TopicSignals, p: InterventionPolicy): { needsIntervention: boolean; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const f = s.forecast;
  if (f.predicted < p.threshold) {
    reasons.push({ code: 'predicted_below_threshold', message: `predicted mastery ${pct(f.predicted)} in ${s.horizonDays} days is below ${pct(p.threshold)}` });
  }
  // Scores carry four decimals: rounding keeps a fall of exactly the allowed rate from counting.
  const perWeek = Math.round((((f.predicted - f.current) * 7) / s.horizonDays) * 10_000) / 10_000;
  if (perWeek < -p.declinePerWeek) {
    reasons.push({ code: 'declining', message: `mastery is predicted to fall by ${pct(-perWeek)} a week` });
  }
  if (s.idleDays > p.inactiveDays) reasons.push({ code: 'inactive', message: `no activity on this topic for ${s.idleDays} days` });
  if (s.reviewOverdue) reasons.push({ code: 'review_overdue', message: 'a review is due: predicted retention is below the target' });
  if (s.observedDays < MIN_HISTORY_DAYS) {
    reasons.push({ code: 'insufficient_history', message: `only ${s.observedDays} day(s) of history: the forecast leans on defaults` });
  }
  return { needsIntervention: reasons.some((r) => ALERTS.has(r.code)), reasons };
}

/** improving / stable / declining: a change of at least two mastery points over the horizon counts. */
export type Trend = 'improving' | 'stable' | 'declining';
export const TREND_POINTS = 0.02;
export const trendOf = (current: number, predicted: number): Trend =>
  predicted - current >= TREND_POINTS ? 'improving' : predicted - current <= -TREND_POINTS ? 'declining' : 'stable';
