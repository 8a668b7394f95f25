import type { DayValue } from '../mastery/as-of';
import { WEIGHTS, type Components } from '../mastery/mastery';
import type { ModelPolicy } from '../mastery/topic-state';

/**
 * Forecasting a topic's mastery some days ahead, from its daily values up to today. Three models
 * share one interface so a backtest can hold them side by side: the last value, the predecessor's
 * linear regression, and the component model this service serves.
 */

/** A topic's evidence: one value per day from its first active day to the day of the forecast. */
export interface TopicEvidence {
  topicId: string;
  days: readonly DayValue[];
}

export interface Forecast {
  current: number;
  /** The expected mastery at the horizon (a conditional mean: judged by RMSE). */
  predicted: number;
  /** An 80% prediction interval: 10th and 90th percentiles. */
  low: number;
  high: number;
  /** In [0, 1]: grows with the amount and regularity of evidence, falls with the interval's width. */
  confidence: number;
  /** The expected components at the horizon. */
  components: Components;
}

export interface ForecastModel {
  readonly name: string;
  readonly version: string;
  /** `evidence.days` must not be empty; `horizonDays` >= 1. */
  forecast(evidence: TopicEvidence, horizonDays: number, policy: ModelPolicy): Forecast;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const today = (e: TopicEvidence): DayValue => e.days[e.days.length - 1]!;

/** How far back the models look, in days: four weeks see a weekly rhythm four times. */
export const LOOKBACK_DAYS = 28;
/**
 * Recent days weigh more: a day this old counts half as much as today in the activity estimates,
 * so a week idle already says "away" (chosen on the backtest among 2, 3, 4 and 7 days: 7 predicted
 * too many returns of learners who had left).
 */
export const ACTIVITY_HALF_LIFE_DAYS = 4;
/** z of the 90th percentile of a normal: the half-width of an 80% interval in standard deviations. */
const Z80 = 1.2815515655446004;

/** Baseline 1: tomorrow is today. Hard to beat in MAE because lessons move mastery in lumps. */
export const lastValueModel: ForecastModel = {
  name: 'last_value',
  version: '1',
  forecast(e) {
    const v = today(e).mastery;
    return { current: v.masteryScore, predicted: v.masteryScore, low: v.masteryScore, high: v.masteryScore, confidence: 0, components: { ...v.components } };
  },
};

/**
 * Baseline 2, the predecessor's model: a least-squares line through the last four weeks of daily
 * mastery, read at the horizon; the interval from the residuals' spread. Components are not
 * modelled (the line's value is split in today's proportions).
 */
export const linearRegressionModel: ForecastModel = {
  name: 'linear_regression',
  version: '1',
  forecast(e, horizonDays, policy) {
    const recent = e.days.slice(-LOOKBACK_DAYS);
    const n = recent.length;
    const current = today(e).mastery;
    if (n < 2) return lastValueModel.forecast(e, horizonDays, policy);
    const xs = recent.map((_, i) => i);
    const ys = recent.map((d) => d.mastery.masteryScore);
    const mx = (n - 1) / 2;
    const my = ys.reduce((a, b) => a + b, 0) / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (xs[i]! - mx) * (ys[i]! - my);
      sxx += (xs[i]! - mx) ** 2;
    }
    const slope = sxy / sxx;
    const at = (x: number) => my + slope * (x - mx);
    const residual = Math.sqrt(ys.reduce((a, y, i) => a + (y - at(i)) ** 2, 0) / Math.max(1, n - 2));
    const predicted = clamp01(at(n - 1 + horizonDays));
    const half = Z80 * residual * Math.sqrt(1 + 1 / n + (n - 1 + horizonDays - mx) ** 2 / sxx);
    const scale = current.masteryScore > 0 ? predicted / current.masteryScore : 0;
    const components = Object.fromEntries(Object.entries(current.components).map(([k, v]) => [k, clamp01(v * scale)])) as Components;
    return { current: current.masteryScore, predicted: round4(predicted), low: round4(clamp01(predicted - half)), high: round4(clamp01(predicted + half)), confidence: round4(clamp01(1 - half / 0.5) * Math.min(1, n / LOOKBACK_DAYS)), components };
  },
};

/** What the component model reads from a topic's recent days. */
export interface ActivityProfile {
  /** Probability that the learner is active on this topic on a given day (recency-weighted, with a weak prior). */
  pActive: number;
  /** Mean gain of completion per active day (a share of the topic's lessons). */
  completionPerActiveDay: number;
  /** Variance of a day's change of completion, quiz and quality together, in mastery points. */
  jumpVariance: number;
  /** Days observed (from the first active day, at most the lookback) and active days among them. */
  observedDays: number;
  activeDays: number;
  /** Days since the last active day (0: active today). */
  idleDays: number;
}

/**
 * Prior for the activity rate: worth about two days, leaning to "away" (one active day in 21). The
 * first cut's 1 in 3 over three days predicted too many returns of learners who had left; a
 * heavier prior also drags a daily learner's rate towards it.
 */
const PRIOR_ACTIVE = 0.1;
const PRIOR_IDLE = 2;
/** Prior progress per active day when none is observed yet: a little, with room for much more. */
const PRIOR_COMPLETION_PER_DAY = 0.05;
const PRIOR_JUMP_VARIANCE = 0.03 ** 2;

export function activityProfile(e: TopicEvidence): ActivityProfile {
  const days = e.days;
  const last = days.length - 1;
  const from = Math.max(0, days.length - LOOKBACK_DAYS);
  let wActive = 0;
  let wAll = 0;
  let active = 0;
  let idleDays = 0;
  for (let i = last; i >= 0 && !days[i]!.active; i--) idleDays++;
  const jumps: { w: number; j: Components }[] = [];
  for (let i = from; i <= last; i++) {
    const w = 0.5 ** ((last - i) / ACTIVITY_HALF_LIFE_DAYS);
    wAll += w;
    if (!days[i]!.active) continue;
    wActive += w;
    active++;
    // The first day has no "before": its jump is the whole start, not a typical day's progress.
    if (i === 0) continue;
    const a = days[i - 1]!.components;
    const b = days[i]!.components;
    jumps.push({ w, j: { completion: b.completion - a.completion, quiz: b.quiz - a.quiz, quality: b.quality - a.quality, consistency: 0 } });
  }
  const pActive = (wActive + PRIOR_ACTIVE) / (wAll + PRIOR_ACTIVE + PRIOR_IDLE);
  let completionPerActiveDay = PRIOR_COMPLETION_PER_DAY;
  let jumpVariance = PRIOR_JUMP_VARIANCE;
  const wj = jumps.reduce((s, x) => s + x.w, 0);
  if (wj > 0) {
    completionPerActiveDay = Math.max(0, jumps.reduce((s, x) => s + x.w * x.j.completion, 0) / wj);
    const total = (j: Components) => WEIGHTS.completion * j.completion + WEIGHTS.quiz * j.quiz + WEIGHTS.quality * j.quality;
    const mu = jumps.reduce((s, x) => s + x.w * total(x.j), 0) / wj;
    // Shrunk toward the prior by one pseudo-observation, so one odd day does not make a certainty.
    jumpVariance = (jumps.reduce((s, x) => s + x.w * (total(x.j) - mu) ** 2, 0) + PRIOR_JUMP_VARIANCE) / (wj + 1);
  }
  return { pActive, completionPerActiveDay, jumpVariance, observedDays: last - from + 1, activeDays: active, idleDays };
}

/** P(K = k) for K ~ Binomial(n, p), k = 0..n. */
function binomial(n: number, p: number): number[] {
  const out = new Array<number>(n + 1).fill(0);
  let c = 1;
  for (let k = 0; k <= n; k++) {
    out[k] = c * p ** k * (1 - p) ** (n - k);
    c = (c * (n - k)) / (k + 1);
  }
  return out;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf; |error| < 1.5e-7). */
function phi(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * The component model. The learner is active on a day with probability p (their recent rhythm);
 * the number of active days K in the horizon is Binomial(h, p). Given K, each component moves as
 * the formula dictates:
 * - completion never falls: it gains K times the recent gain per active day, capped at 1;
 * - quiz and quality are recency-weighted means that settle around the learner's level: their
 *   expected value is today's (extrapolating their recent drift made the backtest worse), and
 *   their day-to-day movement widens the interval;
 * - consistency is exact: the active days still inside the window at the horizon plus K new ones.
 * The spread of a day's progress adds normal noise (variance K times the per-day variance). The
 * point forecast is the mean over K; the 80% interval comes from the mixture's 10th and 90th
 * percentiles, found by bisection on its CDF.
 */
export const componentModel: ForecastModel = {
  name: 'component_activity',
  version: '2',
  forecast(e, horizonDays, policy) {
    const now = today(e);
    const c0 = now.components;
    const profile = activityProfile(e);
    const W = policy.consistencyWindowDays;
    const lastDay = now.day;
    // Known active days that will still be inside the window at the horizon.
    let keep = 0;
    for (let i = e.days.length - 1; i >= 0 && e.days[i]!.day > lastDay + horizonDays - W; i--) if (e.days[i]!.active) keep++;
    const newInWindow = Math.min(horizonDays, W);
    const probs = binomial(horizonDays, profile.pActive);
    const componentsGiven = (k: number): Components => ({
      completion: clamp01(c0.completion + k * profile.completionPerActiveDay),
      quiz: c0.quiz,
      quality: c0.quality,
      consistency: clamp01((keep + Math.min(k, newInWindow)) / W),
    });
    const scoreOf = (c: Components) => WEIGHTS.completion * c.completion + WEIGHTS.quiz * c.quiz + WEIGHTS.quality * c.quality + WEIGHTS.consistency * c.consistency;
    const means = probs.map((_, k) => scoreOf(componentsGiven(k)));
    const sds = probs.map((_, k) => Math.sqrt(k * profile.jumpVariance));
    const cdf = (x: number) => probs.reduce((s, p, k) => s + p * (sds[k]! > 0 ? phi((x - means[k]!) / sds[k]!) : x >= means[k]! ? 1 : 0), 0);
    // Scores carry four decimals: 22 halvings of [-0.5, 1.5] reach 5e-7, well below them.
    const quantile = (q: number) => {
      let lo = -0.5;
      let hi = 1.5;
      for (let i = 0; i < 22; i++) {
        const mid = (lo + hi) / 2;
        if (cdf(mid) < q) lo = mid;
        else hi = mid;
      }
      return clamp01(hi);
    };
    const predicted = clamp01(probs.reduce((s, p, k) => s + p * means[k]!, 0));
    const expected = probs.reduce(
      (acc, p, k) => {
        const c = componentsGiven(k);
        return { completion: acc.completion + p * c.completion, quiz: acc.quiz + p * c.quiz, quality: acc.quality + p * c.quality, consistency: acc.consistency + p * c.consistency };
      },
      { completion: 0, quiz: 0, quality: 0, consistency: 0 },
    );
    const low = Math.min(quantile(0.1), predicted);
    const high = Math.max(quantile(0.9), predicted);
    // Evidence: a week of observed days and a handful of active days make a full share each.
    const evidence = Math.min(1, profile.observedDays / 7) * (1 - Math.exp(-profile.activeDays / 3));
    const confidence = clamp01(evidence * (1 - Math.min(1, (high - low) / 0.5)));
    const rounded = Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, round4(v)])) as Components;
    return { current: now.mastery.masteryScore, predicted: round4(predicted), low: round4(low), high: round4(high), confidence: round4(confidence), components: rounded };
  },
};

export const MODELS: readonly ForecastModel[] = [componentModel, linearRegressionModel, lastValueModel];
