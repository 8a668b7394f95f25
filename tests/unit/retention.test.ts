import { describe, expect, test } from 'bun:test';
import { RETENTION, daysUntil, retentionAfter, retentionOf } from '../../src/domain/prediction/retention';
import { topicReasons, trendOf } from '../../src/domain/prediction/intervention';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { daysOf, learnerOn, snapshotsOf } from '../support/history';

const estimate = (offsets: number[], until: string, score?: number) => retentionOf(daysOf(snapshotsOf(learnerOn(offsets, score)), until), Date.parse(`${until}T12:00:00Z`), 0.9)!;

describe('retention (FSRS-like)', () => {
  test('the curve is 0.9 at t = S, and review is due S days after the last practice at the 0.9 target', () => {
    expect(retentionAfter(5, 5)).toBeCloseTo(0.9, 12);
    expect(daysUntil(0.9, 5)).toBeCloseTo(5, 12);
    const e = estimate([0], '2026-01-01');
    expect(e.stabilityDays).toBe(RETENTION.initialStabilityDays);
    expect(e.reviewDueAt).toBe(Date.parse('2026-01-02T00:00:00Z') + RETENTION.initialStabilityDays * DAY_MS);
  });

  test('spaced successful practice makes memory more stable than the same practice crammed', () => {
    const spaced = estimate([0, 3, 8, 16], '2026-01-17');
    const crammed = estimate([13, 14, 15, 16], '2026-01-17');
    expect(spaced.stabilityDays).toBeGreaterThan(crammed.stabilityDays);
    expect(crammed.stabilityDays).toBeGreaterThan(RETENTION.initialStabilityDays);
  });

  test('failed reviews (poor quizzes) cut stability; retention decays with idle time', () => {
    const good = estimate([0, 3, 8], '2026-01-09', 0.9);
    const poor = estimate([0, 3, 8], '2026-01-09', 0.3);
    expect(poor.stabilityDays).toBeLessThan(good.stabilityDays);
    const later = estimate([0, 3, 8], '2026-01-30', 0.9);
    expect(later.retention).toBeLessThan(good.retention);
  });
});

describe('intervention reasons', () => {
  const forecast = (current: number, predicted: number) => ({ current, predicted, low: predicted, high: predicted, confidence: 0.5, components: { completion: 0, quiz: 0, quality: 0, consistency: 0 } });
  const policy = { threshold: 0.5, declinePerWeek: 0.05, inactiveDays: 7 };

  test('each rule names its reason; only the alerts set needs_intervention', () => {
    const codes = (r: ReturnType<typeof topicReasons>) => r.reasons.map((x) => x.code);
    const calm = topicReasons({ forecast: forecast(0.7, 0.72), horizonDays: 7, idleDays: 1, observedDays: 30, reviewOverdue: false }, policy);
    expect(calm).toEqual({ needsIntervention: false, reasons: [] });
    const all = topicReasons({ forecast: forecast(0.6, 0.45), horizonDays: 7, idleDays: 9, observedDays: 3, reviewOverdue: true }, policy);
    expect(codes(all)).toEqual(['predicted_below_threshold', 'declining', 'inactive', 'review_overdue', 'insufficient_history']);
    expect(all.needsIntervention).toBe(true);
    const informOnly = topicReasons({ forecast: forecast(0.7, 0.7), horizonDays: 7, idleDays: 0, observedDays: 3, reviewOverdue: true }, policy);
    expect(codes(informOnly)).toEqual(['review_overdue', 'insufficient_history']);
    expect(informOnly.needsIntervention).toBe(false);
    // A fall of exactly the allowed rate is not "declining".
    expect(codes(topicReasons({ forecast: forecast(0.8, 0.75), horizonDays: 7, idleDays: 0, observedDays: 30, reviewOverdue: false }, policy))).toEqual([]);
  });

  test('trend: two points over the horizon make a direction', () => {
    expect([trendOf(0.5, 0.52), trendOf(0.5, 0.51), trendOf(0.5, 0.48), trendOf(0.5, 0.49)]).toEqual(['improving', 'stable', 'declining', 'stable']);
  });
});
