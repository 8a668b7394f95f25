import { describe, expect, test } from 'bun:test';
import { parseLearningEvent, type LearningEvent } from '../../src/domain/mastery/event';
import { applyEvent, componentsOf, DAY_MS, masteryOf, snapshotOf, type ModelPolicy, type TopicState } from '../../src/domain/mastery/topic-state';
import { wireEvent, type WireEvent } from '../support/events';

const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };
const T0 = Date.UTC(2026, 0, 1, 12);

function ev(overrides: Partial<WireEvent>): LearningEvent {
  const r = parseLearningEvent(wireEvent(overrides));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.event;
}
const at = (days: number) => new Date(T0 + days * DAY_MS).toISOString();
const quiz = (day: number, score: number) => ev({ occurred_at: at(day), data: { quiz_id: `q${day}`, score } });
const lesson = (day: number, id: string) => ev({ event_type: 'lesson.completed', occurred_at: at(day), data: { lesson_id: id } });
const code = (day: number, q: number) => ev({ event_type: 'code.assessed', occurred_at: at(day), data: { submission_id: `s${day}`, quality_score: q } });
const fold = (events: LearningEvent[]) => events.reduce<TopicState | undefined>((s, e) => applyEvent(s, e, policy), undefined)!;

/** A seeded shuffle, so a failure can be replayed. */
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('a topic state', () => {
  test('completion counts distinct lessons over the lessons in the topic', () => {
    const s = fold([lesson(0, 'a'), lesson(1, 'b'), lesson(2, 'a')]);
    expect(componentsOf(s, 4, T0 + 2 * DAY_MS, policy).completion).toBe(0.5);
    expect(s.eventCount).toBe(3);
  });

  test('completion never exceeds 1', () => {
    expect(componentsOf(fold([lesson(0, 'a'), lesson(0, 'b')]), 1, T0, policy).completion).toBe(1);
  });

  test('quiz is a mean in which a result half a life older weighs half', () => {
    const s = fold([quiz(0, 0), quiz(14, 1)]);
    // weights 0.5 and 1: (0 * 0.5 + 1 * 1) / 1.5
    expect(componentsOf(s, 5, T0 + 14 * DAY_MS, policy).quiz).toBeCloseTo(2 / 3, 12);
  });

  test('results on the same day weigh the same', () => {
    expect(componentsOf(fold([quiz(3, 0.2), quiz(3, 0.6)]), 5, T0, policy).quiz).toBeCloseTo(0.4, 12);
  });

  test('quality follows code assessments the same way', () => {
    expect(componentsOf(fold([code(0, 0.5), code(0, 1)]), 5, T0, policy).quality).toBeCloseTo(0.75, 12);
  });

  test('consistency counts distinct active days in the 14 days ending today', () => {
    const s = fold([quiz(0, 1), quiz(0, 1), quiz(3, 1), quiz(10, 1)]);
    expect(componentsOf(s, 5, T0 + 10 * DAY_MS, policy).consistency).toBeCloseTo(3 / 14, 12);
    // Ten days later day 0 and day 3 have left the window.
    expect(componentsOf(s, 5, T0 + 20 * DAY_MS, policy).consistency).toBeCloseTo(1 / 14, 12);
    expect(componentsOf(s, 5, T0 + 40 * DAY_MS, policy).consistency).toBe(0);
  });

  test('a configurable window changes the denominator', () => {
    const s = applyEvent(undefined, quiz(0, 1), { ...policy, consistencyWindowDays: 7 });
    expect(componentsOf(s, 5, T0, { ...policy, consistencyWindowDays: 7 }).consistency).toBeCloseTo(1 / 7, 12);
  });

  test('active days stay bounded by the window however long a student works', () => {
    const s = fold(Array.from({ length: 100 }, (_, d) => quiz(d, 0.5)));
    expect(s.activeDays.length).toBe(14);
    expect(componentsOf(s, 5, T0 + 99 * DAY_MS, policy).consistency).toBe(1);
  });

  test('every component stays within [0, 1]', () => {
    const events = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? lesson(i % 20, `l${i % 7}`) : i % 3 === 1 ? quiz(i % 20, (i % 11) / 10) : code(i % 20, (i % 5) / 4)));
    const c = componentsOf(fold(events), 5, T0 + 20 * DAY_MS, policy);
    for (const v of Object.values(c)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  test('the same events in any order give the same state and mastery', () => {
    const events = [
      ...Array.from({ length: 12 }, (_, i) => quiz(i * 2, (i * 7 % 10) / 10)),
      ...Array.from({ length: 8 }, (_, i) => code(i * 3 + 1, (i * 3 % 10) / 10)),
      ...['a', 'b', 'c', 'a', 'd'].map((l, i) => lesson(i * 5, l)),
      ev({ event_type: 'practice.session', occurred_at: at(30), data: { minutes: 15 } }),
    ];
    const inOrder = fold([...events].sort((a, b) => a.occurredAt - b.occurredAt));
    const asOf = T0 + 30 * DAY_MS;
    for (const seed of [1, 2, 3, 42, 1234]) {
      const other = fold(shuffled(events, seed));
      expect(other.lessons.sort()).toEqual([...inOrder.lessons].sort());
      expect(other.activeDays).toEqual(inOrder.activeDays);
      expect(other.eventCount).toBe(inOrder.eventCount);
      expect([other.firstAt, other.lastAt, other.practiceMinutes]).toEqual([inOrder.firstAt, inOrder.lastAt, inOrder.practiceMinutes]);
      const a = componentsOf(other, 6, asOf, policy);
      const b = componentsOf(inOrder, 6, asOf, policy);
      for (const k of ['completion', 'quiz', 'quality', 'consistency'] as const) expect(a[k]).toBeCloseTo(b[k], 12);
      expect(masteryOf(other, 6, asOf, policy)).toEqual(masteryOf(inOrder, 6, asOf, policy));
    }
  });

  test('a late event older than the window adds no active day, as it would have been dropped in order', () => {
    const s = fold([quiz(30, 1), quiz(0, 1)]);
    expect(s.activeDays).toEqual([Math.floor((T0 + 30 * DAY_MS) / DAY_MS)]);
    expect(s.firstAt).toBe(T0);
  });

  test('does not modify the state it is given', () => {
    const s = fold([lesson(0, 'a')]);
    const copy = structuredClone(s);
    applyEvent(s, lesson(1, 'b'), policy);
    expect(s).toEqual(copy);
  });

  test('the day snapshot is keyed by the latest event day, so a late event refreshes today', () => {
    const s = fold([quiz(5, 1), quiz(2, 0)]);
    const snap = snapshotOf('python-basics', s, 5, policy);
    expect(snap.day).toBe(at(5).slice(0, 10));
    expect(snap.at).toBe(T0 + 5 * DAY_MS);
    expect(snap.masteryScore).toBe(masteryOf(s, 5, s.lastAt, policy).masteryScore);
  });
});
