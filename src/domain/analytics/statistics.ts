/**
 * The statistics analytics reports, each defined once (docs/analytics.md gives the formulas).
 * Pure functions of plain number arrays; an empty input is the caller's mistake, except where a
 * function says what it answers.
 */

/** Arithmetic mean; 0 for no values (an empty series has nothing to average, and no NaN reaches JSON). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Sample variance (divisor n − 1): the values are treated as a sample of what the students or
 * days could have been, which is also what Welch's test needs. 0 for fewer than two values.
 */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

export const stdDev = (xs: readonly number[]): number => Math.sqrt(variance(xs));

/** Ascending copy, for percentile and median. */
export const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

/**
 * The p-th percentile (p in [0, 100]) of ascending values by linear interpolation between
 * closest ranks, numpy's default method: h = (n − 1)·p/100, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 */
export function percentile(ascending: readonly number[], p: number): number {
  const n = ascending.length;
  if (n === 0) return 0;
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return ascending[lo]! + (h - lo) * (ascending[hi]! - ascending[lo]!);
}

export const median = (ascending: readonly number[]): number => percentile(ascending, 50);

/**
 * Where `x` stands among `values` (which must include it): the share strictly below plus half
 * the share equal, times 100. Half of the ties is the midpoint convention, so a group of equal
 * values all stand at 50, and the lowest of n distinct values at 50/n, not 0.
 */
export function percentileRank(values: readonly number[], x: number): number {
  let below = 0;
  let equal = 0;
  for (const v of values) {
    if (v < x) below++;
    else if (v === x) equal++;
  }
  return ((below + equal / 2) / values.length) * 100;
}

/** Least-squares slope of ys against their index 0, 1, …; 0 for fewer than two values. */
export function slope(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const xMean = (n - 1) / 2;
  const yMean = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - xMean) * (ys[i]! - yMean);
    sxx += (i - xMean) ** 2;
  }
  return sxy / sxx;
}

/** What a two-sample test needs of each group. */
export interface GroupMoments {
  n: number;
  mean: number;
  /** Sample variance (n − 1). */
  variance: number;
}

export const momentsOf = (xs: readonly number[]): GroupMoments => ({ n: xs.length, mean: mean(xs), variance: variance(xs) });

export interface WelchResult {
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided. */
  pValue: number;
}

/**
 * Welch's t-test of equal means without assuming equal variances (cohorts differ in size and
 * spread). Needs at least two values per group. When both groups have no spread at all the test
 * is degenerate: equal means give p = 1, different means p = 0 (the difference is certain).
 */
export function welchTTest(a: GroupMoments, b: GroupMoments): WelchResult {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se2 = va + vb;
  const diff = a.mean - b.mean;
  if (se2 === 0) return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: a.n + b.n - 2, pValue: diff === 0 ? 1 : 0 };
  const t = diff / Math.sqrt(se2);
  const df = se2 ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  return { t, df, pValue: Math.min(1, 2 * studentTCdf(-Math.abs(t), df)) };
}

/**
 * Cohen's d: the difference of means in units of the pooled standard deviation. undefined when
 * the pooled deviation is 0 (every value equal within each group): no scale to measure it in.
 */
export function cohensD(a: GroupMoments, b: GroupMoments): number | undefined {
  const pooled = Math.sqrt(((a.n - 1) * a.variance + (b.n - 1) * b.variance) / (a.n + b.n - 2));
  return pooled > 0 ? (a.mean - b.mean) / pooled : undefined;
}

/**
 * P(T ≤ t) for Student's t with `df` > 0 degrees of freedom, through
 * P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2). The lower tail is computed directly, so a tiny
 * probability keeps its digits instead of being lost in 1 − (1 − p).
 */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t > 0 ? 1 - tail : tail;
}

/**
 * The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz),
 * evaluated where it converges fast and mirrored through I_x(a, b) = 1 − I_{1−x}(b, a) elsewhere
 * (Numerical Recipes, 6.4). Accurate to about 1e-14 for the a, b a t-test produces.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

const TINY = 1e-300;

function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  // Convergence takes O(√max(a, b)) steps; the bound only stops a runaway on absurd input.
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** Lanczos coefficients (g = 7, n = 9): ln Γ to about 15 significant digits for x > 0. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  // Reflection keeps the series where it is accurate.
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
