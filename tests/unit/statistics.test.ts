import { describe, expect, test } from 'bun:test';
import {
  cohensD,
  logGamma,
  mean,
  median,
  momentsOf,
  percentile,
  percentileRank,
  regularizedIncompleteBeta,
  slope,
  sorted,
  stdDev,
  studentTCdf,
  variance,
  welchTTest,
} from '../../src/domain/analytics/statistics';

describe('descriptive statistics', () => {
  test('mean, sample variance and standard deviation match the hand computation', () => {
    // Σ = 40, mean 5; Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32; sample variance 32/7.
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(variance(xs)).toBeCloseTo(32 / 7, 14);
    expect(stdDev(xs)).toBeCloseTo(Math.sqrt(32 / 7), 14);
  });

  test('no values average to 0 and one value has no spread', () => {
    expect(mean([])).toBe(0);
    expect(variance([0.7])).toBe(0);
    expect(stdDev([])).toBe(0);
    expect(median([])).toBe(0);
  });

  test('the median of an even count is the midpoint of the middle two', () => {
    expect(median(sorted([4, 1, 3, 2]))).toBe(2.5);
    expect(median(sorted([5, 1, 3]))).toBe(3);
  });

  test('the least-squares slope of 0.1, 0.3, 0.2, 0.5, 0.4 is 0.08 per step', () => {
    // x̄ = 2, ȳ = 0.3; Σ(x−x̄)(y−ȳ) = 0.4 + 0 + 0 + 0.2 + 0.2 = 0.8; Σ(x−x̄)² = 10.
    expect(slope([0.1, 0.3, 0.2, 0.5, 0.4])).toBeCloseTo(0.08, 14);
    expect(slope([0.4])).toBe(0);
    expect(slope([0.2, 0.2, 0.2])).toBe(0);
  });
});

describe('percentiles by linear interpolation (numpy.percentile default)', () => {
  // Reference values printed by numpy 2.4.6: np.percentile(values, [0, 10, 25, 50, 75, 90, 100]).
  const table: [number[], number[]][] = [
    [[1, 2, 3, 4], [1, 1.3, 1.75, 2.5, 3.25, 3.7, 4]],
    [[15, 20, 35, 40, 50], [15, 17, 20, 35, 40, 46, 50]],
    [[3.5, 1.2, 9.9, 4.4, 4.4, 7.0, 0.3], [0.3, 0.84, 2.35, 4.4, 5.7, 8.16, 9.9]],
    [[0.42], [0.42, 0.42, 0.42, 0.42, 0.42, 0.42, 0.42]],
    [[10, 7, 4, 3, 2, 1], [1, 1.5, 2.25, 3.5, 6.25, 8.5, 10]],
  ];
  test.each(table)('percentiles of %p', (values, expected) => {
    const asc = sorted(values);
    [0, 10, 25, 50, 75, 90, 100].forEach((p, i) => expect(percentile(asc, p)).toBeCloseTo(expected[i]!, 12));
  });

  test('p25 of 1..4 by hand: h = 3 × 0.25 = 0.75, so 1 + 0.75 × (2 − 1)', () => {
    expect(percentile([1, 2, 3, 4], 25)).toBe(1.75);
  });
});

describe('percentile rank', () => {
  test('counts those strictly below plus half of those equal, the student among them', () => {
    // Below 2: one; equal: two (the student and one other) → (1 + 1) / 4.
    expect(percentileRank([1, 2, 2, 3], 2)).toBe(50);
    expect(percentileRank([1, 2, 3, 4], 4)).toBe(87.5);
    expect(percentileRank([1, 2, 3, 4], 1)).toBe(12.5);
    expect(percentileRank([0.5, 0.5, 0.5], 0.5)).toBe(50);
  });
});

describe('the Student t distribution', () => {
  test('ln Γ matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(10.5)).toBeCloseTo(13.940625219403763, 12);
  });

  test('the regularized incomplete beta matches its closed forms and scipy.special.betainc', () => {
    // Integer a, b: I_x(a, b) = Σ_{j=a}^{a+b−1} C(a+b−1, j) xʲ (1−x)^{a+b−1−j}; for (0.5; 2, 3): (6 + 4 + 1) / 16.
    expect(regularizedIncompleteBeta(0.5, 2, 3)).toBeCloseTo(11 / 16, 14);
    // a = b = 1/2: the arcsine law, (2/π) asin √x.
    expect(regularizedIncompleteBeta(0.3, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(0.3)), 14);
    expect(regularizedIncompleteBeta(0.9, 10, 0.5)).toBeCloseTo(0.15164090963470994, 13);
    expect(regularizedIncompleteBeta(0.7, 2.5, 3.5)).toBeCloseTo(0.9228190654779191, 13);
    const tiny = regularizedIncompleteBeta(0.2, 50, 0.5);
    expect(tiny / 9.994267861337003e-37).toBeCloseTo(1, 10);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
  });

  test('the CDF matches the closed forms for 1 and 2 degrees of freedom', () => {
    // df = 1 is the Cauchy distribution; df = 2 has F(t) = 1/2 + t / (2√(2 + t²)).
    for (const t of [-5, -1, -0.3, 0, 0.7, 2, 12]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 14);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 14);
    }
  });

  test('the CDF matches tables and scipy.stats.t.cdf', () => {
    expect(studentTCdf(2.228138851986274, 10)).toBeCloseTo(0.975, 13); // the two-sided 5% critical value
    expect(studentTCdf(2, 5)).toBeCloseTo(0.9490302605850708, 13);
    expect(studentTCdf(-2, 5)).toBeCloseTo(0.050969739414929174, 13);
    expect(studentTCdf(-3.5, 2.5)).toBeCloseTo(0.026172773480160172, 13);
    expect(studentTCdf(1.96, 1000)).toBeCloseTo(0.9748634075221256, 12);
    expect(studentTCdf(0, 7)).toBe(0.5);
    // A far tail keeps its significant digits.
    expect(studentTCdf(-8, 30) / 3.1329112378503795e-9).toBeCloseTo(1, 9);
  });
});

describe("Welch's t-test and the effect size", () => {
  test('matches the hand computation for 1..5 against 2, 4, …, 12', () => {
    // Means 3 and 7; variances 2.5 and 14; s² / n: 0.5 and 7/3; t = −4 / √(17/6);
    // df = (17/6)² / (0.5² / 4 + (7/3)² / 5) = 6.97226, p two-sided from scipy.stats.ttest_ind(equal_var=False).
    const r = welchTTest(momentsOf([1, 2, 3, 4, 5]), momentsOf([2, 4, 6, 8, 10, 12]));
    expect(r.t).toBeCloseTo(-4 / Math.sqrt(17 / 6), 13);
    expect(r.df).toBeCloseTo((17 / 6) ** 2 / (0.25 / 4 + (7 / 3) ** 2 / 5), 12);
    expect(r.df).toBeCloseTo(6.972255729794934, 12);
    expect(r.pValue).toBeCloseTo(0.04928433820673053, 12);
  });

  test('matches scipy on two cohorts of mastery scores', () => {
    const a = momentsOf([0.62, 0.71, 0.55, 0.8, 0.68, 0.74]);
    const b = momentsOf([0.5, 0.58, 0.61, 0.47, 0.66, 0.52, 0.49]);
    const r = welchTTest(a, b);
    expect(r.t).toBeCloseTo(3.0271754445121792, 12);
    expect(r.df).toBeCloseTo(9.560326713480906, 11);
    expect(r.pValue).toBeCloseTo(0.013380756127832632, 12);
    expect(cohensD(a, b)).toBeCloseTo(1.7161335515893161, 12);
  });

  test('groups without spread: equal means p = 1, different means p = 0, no effect size', () => {
    const flat = momentsOf([0.5, 0.5, 0.5]);
    expect(welchTTest(flat, momentsOf([0.5, 0.5])).pValue).toBe(1);
    expect(welchTTest(flat, momentsOf([0.7, 0.7])).pValue).toBe(0);
    expect(cohensD(flat, momentsOf([0.7, 0.7]))).toBeUndefined();
  });

  test('Cohen’s d by hand: means 3 and 7, pooled variance (4·2.5 + 5·14) / 9', () => {
    expect(cohensD(momentsOf([1, 2, 3, 4, 5]), momentsOf([2, 4, 6, 8, 10, 12]))).toBeCloseTo(-4 / Math.sqrt(80 / 9), 13);
  });
});
