import { describe, expect, test } from 'bun:test';
import { MemoryAnswerCache } from '../../src/adapters/memory/answer-cache.memory';
import type { MasteryHistory } from '../../src/domain/analytics/history';
import { FixedClock } from '../support/fixed-clock';
import { testPseudonymize } from '../support/stores';

const T0 = Date.UTC(2026, 0, 20);
const answer = (studentId: string): MasteryHistory => ({
  studentId,
  topicId: null,
  from: '2026-01-01',
  to: '2026-01-20',
  granularity: 'daily',
  points: [],
  summary: { mean: 0, median: 0, stdDev: 0, min: 0, max: 0, first: 0, last: 0, change: 0, trendPerWeek: 0, volatility: 0, activeDays: 0, longestStreakDays: 0 },
});
const setup = (maxEntries = 4) => {
  const clock = new FixedClock(T0);
  return { clock, cache: new MemoryAnswerCache<MasteryHistory>({ clock, maxEntries, ttlMs: 60_000, pseudonymize: testPseudonymize }) };
};
const ann = { tenantId: 't1', studentId: 'ann' };
const bob = { tenantId: 't1', studentId: 'bob' };

describe('the in-process history cache', () => {
  test('an answer is found under its student and key only', () => {
    const { cache } = setup();
    cache.put(ann, '3:100|*', answer('ann'), T0);
    expect(cache.get(ann, '3:100|*')?.studentId).toBe('ann');
    expect(cache.get(ann, '4:120|*')).toBeUndefined();
    expect(cache.get(bob, '3:100|*')).toBeUndefined();
    expect(cache.get({ tenantId: 't2', studentId: 'ann' }, '3:100|*')).toBeUndefined();
  });

  test('an answer is not served once its TTL has passed since it was read', () => {
    const { clock, cache } = setup();
    cache.put(ann, 'k', answer('ann'), T0 - 10_000);
    clock.advance(50_000);
    expect(cache.get(ann, 'k')).toBeDefined();
    clock.advance(1);
    expect(cache.get(ann, 'k')).toBeUndefined();
  });

  test('it holds at most maxEntries answers, dropping the least recently used', () => {
    const { cache } = setup(2);
    cache.put(ann, 'a', answer('ann'), T0);
    cache.put(ann, 'b', answer('ann'), T0);
    cache.get(ann, 'a');
    cache.put(ann, 'c', answer('ann'), T0);
    expect(cache.get(ann, 'b')).toBeUndefined();
    expect(cache.get(ann, 'a')).toBeDefined();
    expect(cache.get(ann, 'c')).toBeDefined();
  });

  test('with no room it keeps nothing', () => {
    const { cache } = setup(0);
    cache.put(ann, 'a', answer('ann'), T0);
    expect(cache.get(ann, 'a')).toBeUndefined();
  });

  test('an erasure drops the student’s answers and refuses one read before it, not other students’ or later ones', () => {
    const { clock, cache } = setup();
    cache.put(ann, 'a', answer('ann'), T0);
    cache.put(bob, 'a', answer('bob'), T0);
    clock.advance(1000);
    cache.forgetStudent(ann, T0 + 1000);
    expect(cache.get(ann, 'a')).toBeUndefined();
    expect(cache.get(bob, 'a')).toBeDefined();
    cache.put(ann, 'b', answer('ann'), T0 + 1000);
    expect(cache.get(ann, 'b')).toBeUndefined();
    cache.put(ann, 'c', answer('ann'), T0 + 1001);
    expect(cache.get(ann, 'c')).toBeDefined();
  });
});
