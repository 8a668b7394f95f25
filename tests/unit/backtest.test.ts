import { describe, expect, test } from 'bun:test';
import { errorSummary, rankAuc, rankAucOfLow } from '../../bench/backtest/metrics';

describe('the backtest error summary', () => {
  test('RMSE, MAE and bias match a hand computation', () => {
    // Errors 0.1, -0.2, 0: squares 0.01 + 0.04 + 0 = 0.05.
    const s = errorSummary([0.4, 0.4, 0.9], [0.5, 0.2, 0.9]);
    expect(s.n).toBe(3);
    expect(s.rmse).toBeCloseTo(Math.sqrt(0.05 / 3), 12);
    expect(s.mae).toBeCloseTo(0.1, 12);
    expect(s.bias).toBeCloseTo(-0.1 / 3, 12);
    expect(s.coverage).toBeNaN();
  });

  test('coverage counts actuals inside the interval, both ends included', () => {
    const actual = [0.5, 0.3, 0.7, 0.2];
    const low = [0.4, 0.3, 0.5, 0.25];
    const high = [0.6, 0.35, 0.7, 0.4];
    // Inside, on the low end, on the high end, below: 3 of 4.
    expect(errorSummary(actual, actual, low, high).coverage).toBe(0.75);
  });
});

describe('the rank AUC', () => {
  test('is 1 for a perfect ranking, 0 for a reversed one and 0.5 when every score ties', () => {
    expect(rankAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(rankAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(rankAuc([0.5, 0.5, 0.5, 0.5], [false, true, false, true])).toBe(0.5);
  });

  test('matches the pairwise count on a textbook case: 3 of 4 pairs ordered', () => {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: (0.35 > 0.1), (0.8 > 0.1), (0.8 > 0.4).
    expect(rankAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
  });

  test('counts a tie between a positive and a negative as one half', () => {
    // Positives {1, 3}, negatives {1, 2}: 1 vs 1 tie (0.5), 1 vs 2 (0), 3 vs 1 (1), 3 vs 2 (1) = 2.5 / 4.
    expect(rankAuc([1, 1, 2, 3], [false, true, false, true])).toBe(0.625);
    // Ties inside one class change nothing: positives {2, 2}, negatives {1, 3}: 1 + 1 + 0 + 0 = 2 / 4.
    expect(rankAuc([2, 2, 1, 3], [true, true, false, false])).toBe(0.5);
  });

  test('agrees with counting every pair on 300 scores with many ties', () => {
    let x = 12345;
    const next = () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const score = Array.from({ length: 300 }, () => Math.round(next() * 20) / 20);
    const positive = score.map((s) => next() < 0.3 + 0.4 * s);
    let pairs = 0;
    let wins = 0;
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 300; j++) {
        if (!positive[i] || positive[j]) continue;
        pairs++;
        wins += score[i]! > score[j]! ? 1 : score[i] === score[j] ? 0.5 : 0;
      }
    }
    expect(rankAuc(score, positive)).toBeCloseTo(wins / pairs, 12);
  });

  test('is undefined (NaN) without both classes', () => {
    expect(rankAuc([0.1, 0.2], [true, true])).toBeNaN();
    expect(rankAuc([0.1, 0.2], [false, false])).toBeNaN();
  });

  test('for "below": a lower value scores as more likely, ties still half', () => {
    // Below-0.5 cases valued 0.2 and 0.5 against others valued 0.5 and 0.9: (0.2 < 0.5), (0.2 < 0.9), (0.5 = 0.5: half), (0.5 < 0.9).
    expect(rankAucOfLow([0.2, 0.5, 0.5, 0.9], [true, true, false, false])).toBe(3.5 / 4);
  });
});
