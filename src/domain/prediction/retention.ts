import type { DayValue } from '../mastery/as-of';
import { DAY_MS } from '../mastery/topic-state';

/**
 * Forgetting and reviews, FSRS-like. Retention after t days without practice follows the power
 * curve R(t) = (1 + t / (9 S))^-1, where the stability S (days) is the time at which retention falls
 * to 0.9. Every active day on the topic is a review: a successful one raises S, more so when it came
 * late (lower retention: the spacing effect) and less so the more stable the memory already is; a
 * failed one (a poor quiz result that day) cuts S. Parameters are ours, chosen to match FSRS's
 * qualitative shape, not fitted: see docs/prediction-quality.md.
 */
export const RETENTION = Object.freeze({
  /** Stability after the first day of practice, days. */
  initialStabilityDays: 2,
  /** Growth factor of a successful review: S' = S (1 + growth S^-decay (e^(spacing (1 - R)) - 1) + base). */
  growth: 3,
  decay: 0.2,
  spacing: 1.5,
  /** A review the day after still consolidates a little. */
  base: 0.1,
  /** A failed review keeps this share of the stability, and at least `minStabilityDays`. */
  lapseFactor: 0.4,
  minStabilityDays: 0.5,
  /** A day whose quiz mean is below this counts as a failed review (no quiz yet: success). */
  successQuiz: 0.6,
});

/** Retention after `elapsedDays` at stability `stabilityDays`. */
export const retentionAfter = (elapsedDays: number, stabilityDays: number): number => 1 / (1 + Math.max(0, elapsedDays) / (9 * stabilityDays));

/** Days after a review at which retention falls to `target`: the inverse of the curve. */
export const daysUntil = (target: number, stabilityDays: number): number => 9 * stabilityDays * (1 / target - 1);

export interface RetentionEstimate {
  /** Retention now, in [0, 1]. */
  retention: number;
  stabilityDays: number;
  /** Day number of the last review (active day). */
  lastReviewDay: number;
  /** When retention falls below the target (epoch ms, the start of that moment's day fraction). */
  reviewDueAt: number;
}

/**
 * Replays a topic's active days as reviews and answers retention as of `asOf` (epoch ms), and when
 * it falls below `target`. `days` are the topic's daily values up to the day of `asOf`.
 */
export function retentionOf(days: readonly DayValue[], asOf: number, target: number): RetentionEstimate | undefined {
  let stability = 0;
  let last = -1;
  for (const d of days) {
    if (!d.active) continue;
    if (last < 0) {
      stability = RETENTION.initialStabilityDays;
    } else {
      const r = retentionAfter(d.day - last, stability);
      const success = d.components.quiz === 0 || d.components.quiz >= RETENTION.successQuiz;
      stability = success
        ? stability * (1 + RETENTION.growth * stability ** -RETENTION.decay * (Math.exp(RETENTION.spacing * (1 - r)) - 1) + RETENTION.base)
        : Math.max(RETENTION.minStabilityDays, stability * RETENTION.lapseFactor);
    }
    last = d.day;
  }
  if (last < 0) return undefined;
  // A review's day counts from its end, so practice today leaves retention at 1 for the rest of it.
  const reviewedAt = (last + 1) * DAY_MS;
  return {
    retention: retentionAfter((asOf - reviewedAt) / DAY_MS, stability),
    stabilityDays: stability,
    lastReviewDay: last,
    reviewDueAt: Math.round(reviewedAt + daysUntil(target, stability) * DAY_MS),
  };
}
