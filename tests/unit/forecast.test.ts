import { describe, expect, test } from 'bun:test';
import { componentModel, lastValueModel, linearRegressionModel } from '../../src/domain/prediction/forecast';
import { daysOf, learnerOn, policy, snapshotsOf } from '../support/history';

const evidence = (offsets: number[], until: string, score?: number) => ({ topicId: 'python-basics', days: daysOf(snapshotsOf(learnerOn(offsets, score)), until) });

describe('the component forecast', () => {
  test('a learner active every other day keeps rising: predicted above today, interval around it', () => {
    const e = evidence([0, 2, 4, 6, 8, 10], '2026-01-11');
    const f = componentModel.forecast(e, 7, policy);
    expect(f.predicted).toBeGreaterThan(f.current);
    expect(f.low).toBeLessThanOrEqual(f.predicted);
    expect(f.high).toBeGreaterThanOrEqual(f.predicted);
    expect(f.components.completion).toBeGreaterThanOrEqual(1 - 1e-9); // five lessons done already: capped, never above 1
  });

  test('an idle learner: consistency falls on the window\'s schedule, completion never falls, and staying idle is inside the interval', () => {
    const e = evidence([0, 1, 2], '2026-01-10');
    const today = e.days.at(-1)!;
    const f = componentModel.forecast(e, 7, policy);
    expect(f.components.consistency).toBeLessThan(today.components.consistency);
    expect(f.components.completion).toBeGreaterThanOrEqual(today.components.completion);
    // Still idle in a week: days 0-2 have left the 14-day window, so consistency is 0.
    const idle = today.mastery.masteryScore - 0.1 * today.components.consistency;
    expect(f.low).toBeLessThanOrEqual(idle + 1e-4);
  });

  test('a long-idle learner has nothing left to lose: no decline is predicted', () => {
    const f = componentModel.forecast(evidence([0, 1, 2], '2026-01-20'), 7, policy);
    expect(f.components.consistency).toBeGreaterThanOrEqual(0);
    expect(f.low).toBe(f.current);
  });

  test('a single event: little evidence, low confidence, a wide interval', () => {
    const one = componentModel.forecast(evidence([0], '2026-01-01'), 7, policy);
    const many = componentModel.forecast(evidence([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], '2026-01-14'), 7, policy);
    expect(one.confidence).toBeLessThan(0.3);
    expect(one.confidence).toBeLessThan(many.confidence);
    expect(one.high - one.low).toBeGreaterThan(0.05);
  });

  test('a flat learner (everything done, active daily) is predicted flat', () => {
    const offsets = Array.from({ length: 28 }, (_, i) => i);
    const f = componentModel.forecast(evidence(offsets, '2026-01-28', 0.9), 7, policy);
    expect(Math.abs(f.predicted - f.current)).toBeLessThan(0.02);
  });

  test('the baselines: last value repeats today; the line follows a rising trend', () => {
    const e = evidence([0, 2, 4, 6, 8], '2026-01-09');
    expect(lastValueModel.forecast(e, 7, policy).predicted).toBe(e.days.at(-1)!.mastery.masteryScore);
    expect(linearRegressionModel.forecast(e, 7, policy).predicted).toBeGreaterThan(e.days.at(-1)!.mastery.masteryScore);
  });
});
