/**
 * The backtest's scores, kept apart from the harness so a unit test can hold them to hand-computed
 * values (tests/unit/backtest.test.ts): the report's numbers are only as good as these.
 */

export interface ErrorSummary {
  n: number;
  rmse: number;
  mae: number;
  /** Mean of predicted - actual: positive when the model forecasts too high. */
  bias: number;
  /** Share of actuals inside [low, high], both ends included; NaN when no interval was given. */
  coverage: number;
}

/** Point and interval errors of `predicted` (with optional interval ends) against `actual`, index by index. */
export function errorSummary(actual: ArrayLike<number>, predicted: ArrayLike<number>, low?: ArrayLike<number>, high?: ArrayLike<number>): ErrorSummary {
  const n = actual.length;
  let sq = 0;
  let abs = 0;
  let sum = 0;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    const e = predicted[i]! - actual[i]!;
    sq += e * e;
    abs += Math.abs(e);
    sum += e;
    if (low && high && actual[i]! >= low[i]! && actual[i]! <= high[i]!) inside++;
  }
  return { n, rmse: Math.sqrt(sq / n), mae: abs / n, bias: sum / n, coverage: low && high ? inside / n : NaN };
}

/**
 * The area under the ROC curve of `score` for the event `positive`, higher scores meaning "more
 * likely positive": the probability that a random positive scores above a random negative, a tie
 * counting one half. Computed from mid-ranks (Mann-Whitney U), O(n log n). NaN without both classes.
 */
export function rankAuc(score: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = score.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++;
    // Ranks i+1 .. j+1 share their mean.
    const midRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) {
        positives++;
        rankSum += midRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The AUC of `value` for `positive` when a LOWER value means more likely positive (e.g. "will be below 0.5"). */
export const rankAucOfLow = (value: ArrayLike<number>, positive: ArrayLike<boolean>): number =>
  rankAuc(Float64Array.from({ length: value.length }, (_, i) => -value[i]!), positive);
