import { describe, expect, test } from 'bun:test';
import { aggregate, dailySeries, historyRangeErrors, parseDay, summarize, type DayPoint, type HistoryRequest } from '../../src/domain/analytics/history';
import { dayNumber } from '../../src/domain/mastery/as-of';
import type { Components } from '../../src/domain/mastery/mastery';
import type { DaySnapshot, ModelPolicy } from '../../src/domain/mastery/topic-state';

const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };
const d = dayNumber;

const snap = (topicId: string, day: string, c: Omit<Components, 'consistency'>, eventCount?: number): DaySnapshot => ({
  topicId,
  day,
  masteryScore: 0, // dailyValues recomputes the score; the stored one is not read
  components: { ...c, consistency: 0 },
  at: Date.parse(`${day}T12:00:00Z`),
  ...(eventCount !== undefined ? { eventCount } : {}),
});

// Topic a: 2 events on Jan 1, 3 more on Jan 3. Topic b: 4 events on Jan 3.
const a = [snap('a', '2026-01-01', { completion: 0.2, quiz: 0.5, quality: 0 }, 2), snap('a', '2026-01-03', { completion: 0.4, quiz: 0.75, quality: 0 }, 5)];
const b = [snap('b', '2026-01-03', { completion: 1, quiz: 1, quality: 1 }, 4)];

describe('the daily series', () => {
  test('one topic: every day has its value as of its end, computed by hand', () => {
    const days = dailySeries(a, d('2025-12-31'), d('2026-01-04'), policy);
    // Dec 31: nothing yet, 0. Jan 1: 0.2·0.4 + 0.5·0.3 + (1/14)·0.1 = 0.23714 → 0.2371; Jan 2 the same,
    // nothing new. Jan 3: 0.4·0.4 + 0.75·0.3 + (2/14)·0.1 = 0.39929 → 0.3993; Jan 4 the same.
    expect(days.map((x) => x.masteryScore)).toEqual([0, 0.2371, 0.2371, 0.3993, 0.3993]);
    expect(days.map((x) => x.active)).toEqual([false, true, false, true, false]);
    expect(days.map((x) => x.events)).toEqual([0, 2, 0, 3, 0]);
    expect(days[3]!.components).toEqual({ completion: 0.4, quiz: 0.75, quality: 0, consistency: 0.142857 });
  });

  test('consistency falls on inactive days: never a copied value', () => {
    const days = dailySeries(a.slice(0, 1), d('2026-01-01'), d('2026-01-16'), policy);
    expect(days[13]!.components.consistency).toBeCloseTo(1 / 14, 6);
    // Jan 15: the 14-day window ending that day no longer holds Jan 1.
    expect(days[14]!.components.consistency).toBe(0);
    expect(days[14]!.masteryScore).toBe(0.23);
  });

  test('several topics: their mean, a topic counted from its first day with events', () => {
    const days = dailySeries([...a, ...b], d('2026-01-01'), d('2026-01-04'), policy);
    // b on Jan 3: 0.4 + 0.3 + 0.2 + (1/14)·0.1 = 0.9071; mean with a: (0.3993 + 0.9071) / 2 = 0.6532.
    expect(days.map((x) => x.masteryScore)).toEqual([0.2371, 0.2371, 0.6532, 0.6532]);
    expect(days.map((x) => x.events)).toEqual([2, 0, 7, 0]);
    expect(days[2]!.components.completion).toBe(0.7);
  });

  test('a snapshot written without an event count counts its day as one event', () => {
    const legacy = [snap('a', '2026-01-01', { completion: 0.2, quiz: 0.5, quality: 0 }), snap('a', '2026-01-02', { completion: 0.2, quiz: 0.5, quality: 0 }, 9)];
    expect(dailySeries(legacy, d('2026-01-01'), d('2026-01-02'), policy).map((x) => x.events)).toEqual([1, 1]);
  });
});

describe('periods', () => {
  const series = (from: string, to: string): DayPoint[] =>
    Array.from({ length: d(to) - d(from) + 1 }, (_, i) => ({
      day: d(from) + i,
      masteryScore: i / 100,
      components: { completion: i / 100, quiz: 0, quality: 0, consistency: 0 },
      active: i % 2 === 0,
      events: i,
    }));

  test('weeks start on Monday; a point is its last day in range, activity summed over the period', () => {
    // 2026-01-01 is a Thursday: Thu 1 – Sun 4, Mon 5 – Sun 11, Mon 12.
    const points = aggregate(series('2026-01-01', '2026-01-12'), 'weekly', policy.thresholds);
    expect(points.map((p) => p.periodStart)).toEqual(['2026-01-01', '2026-01-05', '2026-01-12']);
    expect(points.map((p) => p.masteryScore)).toEqual([0.03, 0.1, 0.11]);
    expect(points.map((p) => p.activeDays)).toEqual([2, 4, 0]);
    expect(points.map((p) => p.events)).toEqual([0 + 1 + 2 + 3, 4 + 5 + 6 + 7 + 8 + 9 + 10, 11]);
    expect(points[1]!.components.completion).toBe(0.1);
  });

  test('months start on the first', () => {
    const points = aggregate(series('2025-12-30', '2026-02-02'), 'monthly', policy.thresholds);
    expect(points.map((p) => p.periodStart)).toEqual(['2025-12-30', '2026-01-01', '2026-02-01']);
    expect(points.map((p) => p.masteryScore)).toEqual([0.01, 0.32, 0.34]);
  });

  test('daily points are the days', () => {
    const days = series('2026-01-01', '2026-01-03');
    expect(aggregate(days, 'daily', policy.thresholds).map((p) => [p.periodStart, p.masteryScore, p.level, p.activeDays])).toEqual([
      ['2026-01-01', 0, 'novice', 1],
      ['2026-01-02', 0.01, 'novice', 0],
      ['2026-01-03', 0.02, 'novice', 1],
    ]);
  });
});

describe('the summary', () => {
  test('matches the hand computation', () => {
    const scores = [0.1, 0.3, 0.2, 0.5, 0.4];
    const active = [true, true, false, true, true];
    const days = scores.map((s, i): DayPoint => ({ day: i, masteryScore: s, components: { completion: 0, quiz: 0, quality: 0, consistency: 0 }, active: active[i]!, events: 1 }));
    expect(summarize(days)).toEqual({
      mean: 0.3,
      median: 0.3,
      // Σ(x − 0.3)² = 0.1 over 4
      stdDev: 0.158114,
      min: 0.1,
      max: 0.5,
      first: 0.1,
      last: 0.4,
      change: 0.3,
      // slope 0.08 a day (see statistics.test.ts), 0.56 a week
      trendPerWeek: 0.56,
      // day-to-day changes 0.2, −0.1, 0.3, −0.1: mean 0.075, Σ squared deviations 0.1275 over 3
      volatility: 0.206155,
      activeDays: 4,
      longestStreakDays: 2,
    });
  });

  test('one day has no spread, trend or volatility', () => {
    const s = summarize([{ day: 0, masteryScore: 0.42, components: { completion: 0, quiz: 0, quality: 0, consistency: 0 }, active: false, events: 0 }]);
    expect([s.stdDev, s.trendPerWeek, s.volatility, s.change, s.longestStreakDays]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('validation', () => {
  const today = d('2026-01-20');
  const errorsOf = (req: Partial<HistoryRequest>) =>
    historyRangeErrors({ from: '2026-01-01', to: '2026-01-10', granularity: 'daily', ...req }, today, (id) => id === 'python-basics').map((e) => `${e.field}:${e.code}`);

  test('a valid range of up to 366 days passes', () => {
    expect(errorsOf({})).toEqual([]);
    expect(errorsOf({ from: '2025-01-20', to: '2026-01-20' })).toEqual([]);
    expect(errorsOf({ topicId: 'python-basics' })).toEqual([]);
  });

  test('each problem names its field', () => {
    expect(errorsOf({ from: '2026-01-11' })).toEqual(['from:out_of_range']);
    expect(errorsOf({ from: '2025-01-18', to: '2026-01-19' })).toEqual(['to:out_of_range']); // 367 days
    expect(errorsOf({ from: '2026-02-30' })).toEqual(['from:invalid_format']);
    expect(errorsOf({ to: '2026-1-5' })).toEqual(['to:invalid_format']);
    expect(errorsOf({ to: '2026-01-21' })).toEqual(['to:in_future']);
    expect(errorsOf({ topicId: 'nope' })).toEqual(['topic_id:unknown_value']);
  });

  test('calendar dates only', () => {
    expect(parseDay('2024-02-29')).toBe(d('2024-02-29'));
    expect(parseDay('2025-02-29')).toBeUndefined();
    expect(parseDay('2026-13-01')).toBeUndefined();
    expect(parseDay('20260101')).toBeUndefined();
  });
});
