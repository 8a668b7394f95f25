import { describe, expect, test } from 'bun:test';
import { componentsAsOf, dailyValues, dayNumber } from '../../src/domain/mastery/as-of';
import { applyEvent, snapshotOf, type DaySnapshot, type ModelPolicy, type TopicState } from '../../src/domain/mastery/topic-state';
import { parseLearningEvent } from '../../src/domain/mastery/event';
import { masteryOf } from '../../src/domain/mastery/topic-state';
import { wireEvent } from '../support/events';

const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };

/** Applies events in order as the engine does and keeps the last snapshot of each day. */
function replay(wires: Parameters<typeof wireEvent>[0][]): { snapshots: DaySnapshot[]; states: TopicState[] } {
  let state: TopicState | undefined;
  const byDay = new Map<string, DaySnapshot>();
  const states: TopicState[] = [];
  for (const w of wires) {
    const parsed = parseLearningEvent(wireEvent(w));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    state = applyEvent(state, parsed.event, policy);
    states.push(state);
    const snap = snapshotOf(parsed.event.topicId, state, 5, policy);
    byDay.set(snap.day, snap);
  }
  return { snapshots: [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day)), states };
}

describe('mastery as of a past day, from day snapshots', () => {
  const { snapshots, states } = replay([
    { occurred_at: '2026-01-01T09:00:00Z', event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } },
    { occurred_at: '2026-01-01T10:00:00Z', data: { quiz_id: 'q1', score: 0.6 } },
    { occurred_at: '2026-01-03T10:00:00Z', data: { quiz_id: 'q2', score: 1 } },
  ]);

  test('each day is the mastery at its end: equal to the live computation on that day, also on days without events', () => {
    const from = dayNumber('2025-12-31');
    const values = dailyValues(snapshots, from, dayNumber('2026-01-20'), policy);
    expect(values[0]).toBeUndefined();
    for (let day = dayNumber('2026-01-01'); day <= dayNumber('2026-01-20'); day++) {
      const state = day < dayNumber('2026-01-03') ? states[1]! : states[2]!;
      const live = masteryOf(state, 5, day * 86_400_000 + 86_399_999, policy);
      expect(values[day - from]!.components).toEqual(live.components);
      expect(values[day - from]!.mastery.masteryScore).toBe(live.masteryScore);
    }
  });

  test('consistency falls on inactive days on the schedule of the window', () => {
    const values = dailyValues(snapshots, dayNumber('2026-01-01'), dayNumber('2026-01-18'), policy).map((v) => Math.round(v!.components.consistency * 14));
    // Active on Jan 1 and 3; Jan 1 leaves the 14-day window on Jan 15, Jan 3 on Jan 17.
    expect(values).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0]);
    expect(dailyValues(snapshots, dayNumber('2026-01-01'), dayNumber('2026-01-04'), policy).map((v) => v!.active)).toEqual([true, false, true, false]);
  });

  test('as of an instant, only what had occurred by then counts', () => {
    expect(componentsAsOf(snapshots, Date.parse('2025-12-31T23:00:00Z'), policy)).toBeUndefined();
    expect(componentsAsOf(snapshots, Date.parse('2026-01-02T12:00:00Z'), policy)?.quiz).toBe(0.6);
    expect(componentsAsOf(snapshots, Date.parse('2026-01-03T12:00:00Z'), policy)?.quiz).toBeGreaterThan(0.8);
  });
});

describe('day numbers of ISO dates', () => {
  const byParse = (iso: string): number => Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
  test('every day from 1969 to 2101 gets the day number Date.parse gives', () => {
    for (let day = -400; day < 48_000; day++) {
      const iso = new Date(day * 86_400_000).toISOString().slice(0, 10);
      if (dayNumber(iso) !== day) throw new Error(`${iso}: ${dayNumber(iso)} instead of ${day}`);
    }
  });

  test('years before 100, impossible dates and other text answer as Date.parse does', () => {
    for (const iso of ['0050-03-01', '2026-02-30', '2026-13-01', '2026-00-10', '2026-1-01', 'abcd-ef-gh', '']) {
      expect(Object.is(dayNumber(iso), byParse(iso))).toBe(true);
    }
  });
});
