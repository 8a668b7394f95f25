import { describe, expect, test } from 'bun:test';
import { chunksOf, distinctIds, mergeErrors, prioritySchedule, statusOf } from '../../src/domain/batch/batch';
import { recalculatedSnapshot } from '../../src/domain/batch/recalculate';
import { dailyValues, dayNumber } from '../../src/domain/mastery/as-of';
import { DAY_MS, snapshotOf, type TopicState } from '../../src/domain/mastery/topic-state';

const policy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] as const };
const none = { high: false, normal: false, low: false };

describe('the priority rule', () => {
  test('serves only the highest priority with work while it has any', () => {
    expect(prioritySchedule({ high: true, normal: true, low: true }, {}, 0, 1000).serve).toEqual(['high']);
    expect(prioritySchedule({ ...none, normal: true, low: true }, {}, 0, 1000).serve).toEqual(['high', 'normal']);
    expect(prioritySchedule({ ...none, low: true }, {}, 0, 1000).serve).toEqual(['high', 'normal', 'low']);
  });

  test('a priority held back for maxWaitMs is served alongside until one of its chunks is done: the starvation bound', () => {
    const busy = { high: true, normal: false, low: true };
    const first = prioritySchedule(busy, {}, 0, 1000);
    expect(first).toEqual({ serve: ['high'], heldSince: { low: 0 } });
    expect(prioritySchedule(busy, first.heldSince, 999, 1000).serve).toEqual(['high']);
    const due = prioritySchedule(busy, first.heldSince, 1000, 1000);
    expect(due.serve).toEqual(['high', 'low']);
    // Still served on the next look, until the caller reports a low chunk done (drops its entry).
    expect(prioritySchedule(busy, due.heldSince, 1100, 1000).serve).toEqual(['high', 'low']);
    expect(prioritySchedule(busy, {}, 1200, 1000)).toEqual({ serve: ['high'], heldSince: { low: 1200 } });
    // Nothing waiting higher up: nothing is held.
    expect(prioritySchedule({ high: false, normal: false, low: true }, { low: 5 }, 10, 1000)).toEqual({ serve: ['high', 'normal', 'low'], heldSince: {} });
  });
});

describe('batches', () => {
  test('repeats are counted once and chunks cut in order', () => {
    const ids = distinctIds(['a', 'b', 'a', 'c', 'd', 'e']);
    const chunks = chunksOf({ batchId: 'b', tenantId: 't', priority: 'low', studentIds: ids, createdAt: 0, requestedBy: 'admin:a' }, 2);
    expect(chunks.map((c) => [c.chunkId, c.studentIds])).toEqual([[0, ['a', 'b']], [1, ['c', 'd']], [2, ['e']]]);
  });

  test('status: queued, running, completed (with errors), cancelled', () => {
    expect(statusOf({ total: 2, processed: 0, failed: 0 })).toBe('queued');
    expect(statusOf({ total: 2, processed: 1, failed: 0, startedAt: 1 })).toBe('running');
    expect(statusOf({ total: 2, processed: 2, failed: 0, startedAt: 1 })).toBe('completed');
    expect(statusOf({ total: 2, processed: 2, failed: 1, startedAt: 1 })).toBe('completed_with_errors');
    expect(statusOf({ total: 2, processed: 1, failed: 0, startedAt: 1, cancelledAt: 2 })).toBe('cancelled');
  });

  test('errors group by code with at most 20 ids', () => {
    const failures = Array.from({ length: 25 }, (_, i) => ({ studentId: `s${i}`, code: 'no_consent' as const }));
    const [g] = mergeErrors([], failures);
    expect(g!.count).toBe(25);
    expect(g!.studentIds).toHaveLength(20);
  });

  test('an erased student is counted but never kept as an example; the slot goes to the next one', () => {
    const failures = Array.from({ length: 25 }, (_, i) => ({ studentId: `s${i}`, code: 'no_consent' as const }));
    const [g] = mergeErrors([], failures, (id) => id === 's3');
    expect(g!.count).toBe(25);
    expect(g!.studentIds).toEqual([...Array.from({ length: 21 }, (_, i) => `s${i}`).filter((id) => id !== 's3')]);
  });
});

describe('recalculated snapshots and history', () => {
  const day0 = Date.parse('2026-01-10T10:00:00Z');
  const state: TopicState = { lessons: [], quiz: { s: 0.8, w: 1, t: day0, n: 1 }, quality: { s: 0, w: 0, t: 0, n: 0 }, practiceMinutes: 0, activeDays: [Math.floor(day0 / DAY_MS)], eventCount: 1, firstAt: day0, lastAt: day0 };

  test('on the day of the last event it is the event snapshot; later it is marked recalculated and consistency has faded', () => {
    expect(recalculatedSnapshot('t', state, 10, day0 + 3600_000, policy)).toEqual(snapshotOf('t', state, 10, policy));
    const later = recalculatedSnapshot('t', state, 10, day0 + 20 * DAY_MS, policy);
    expect(later).toMatchObject({ day: '2026-01-30', recalculated: true, at: day0 });
    expect(later.components.consistency).toBe(0);
  });

  test('a recalculated day is not an active day: the daily values are the same with or without it', () => {
    const event = snapshotOf('t', state, 10, policy);
    const recalc = recalculatedSnapshot('t', state, 10, day0 + 3 * DAY_MS, policy);
    const from = dayNumber('2026-01-10');
    const without = dailyValues([event], from, from + 5, policy);
    const withIt = dailyValues([event, recalc], from, from + 5, policy);
    expect(withIt).toEqual(without);
    expect(withIt.filter((v) => v?.active)).toHaveLength(1);
  });
});
