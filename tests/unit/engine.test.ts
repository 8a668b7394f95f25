import { describe, expect, test } from 'bun:test';
import { MemoryAnswerCache } from '../../src/adapters/memory/answer-cache.memory';
import { ingestEvent, queryMastery, queryMasteryAnswer, type EngineDeps, type StudentMastery } from '../../src/domain/mastery/engine';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { shippedCurricula, shippedCurriculum } from '../support/curriculum';
import { FixedClock } from '../support/fixed-clock';
import { memoryStore, testPseudonymize } from '../support/stores';
import { wireEvent } from '../support/events';

const curriculum = shippedCurriculum;

function engine(now = Date.parse('2026-01-14T12:00:00Z')): EngineDeps & { clock: FixedClock } {
  const clock = new FixedClock(now);
  return {
    clock,
    curricula: shippedCurricula(),
    store: memoryStore(clock),
    policy: { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] },
    consentByDefault: true,
    eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS },
  };
}
const ref = { tenantId: 'default', studentId: 'student-1' };

describe('ingesting events', () => {
  test('applies a valid event and answers the new mastery', async () => {
    const deps = engine();
    const out = await ingestEvent(deps, wireEvent({ event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } }));
    expect(out.kind).toBe('applied');
    // 1 of 5 lessons (0.2 * 0.4) and one active day of 14 (0.1 / 14).
    if (out.kind === 'applied') expect(out.mastery.masteryScore).toBe(Math.round((0.08 + 0.1 / 14) * 1e4) / 1e4);
  });

  test('refuses an event from the future beyond the allowed skew, and changes nothing', async () => {
    const deps = engine();
    const now = deps.clock.now();
    const ahead = await ingestEvent(deps, wireEvent({ occurred_at: new Date(now + 300_001).toISOString() }));
    expect(ahead.kind === 'rejected' && ahead.errors.map((e) => `${e.field}:${e.code}`)).toEqual(['occurred_at:in_future']);
    expect((await ingestEvent(deps, wireEvent({ occurred_at: '2099-01-01T00:00:00Z' }))).kind).toBe('rejected');
    expect((await deps.store.listTopics(ref)).size).toBe(0);
    expect((await ingestEvent(deps, wireEvent({ occurred_at: new Date(now + 300_000).toISOString() }))).kind).toBe('applied');
  });

  test('a future-dated event cannot freeze a topic: later real quizzes still move it', async () => {
    const deps = engine();
    await ingestEvent(deps, wireEvent({ occurred_at: '2099-01-01T00:00:00Z', data: { quiz_id: 'q', score: 1 } }));
    for (let i = 0; i < 10; i++) await ingestEvent(deps, wireEvent({ data: { quiz_id: `q${i}`, score: 0 } }));
    const q = await queryMastery(deps, ref);
    expect(q.kind === 'ok' && q.mastery.topics[0]!.components.quiz).toBe(0);
  });

  test('refuses an event older than idempotency can vouch for (retention less skew), so a replay cannot count twice', async () => {
    const deps = engine();
    const now = deps.clock.now();
    const edge = now - 7 * DAY_MS + 300_000;
    const old = await ingestEvent(deps, wireEvent({ occurred_at: new Date(edge - 1).toISOString() }));
    expect(old.kind === 'rejected' && old.errors.map((e) => `${e.field}:${e.code}`)).toEqual(['occurred_at:too_old']);
    expect((await ingestEvent(deps, wireEvent({ occurred_at: new Date(edge).toISOString() }))).kind).toBe('applied');
  });

  test('answers duplicate for a repeated event id and counts it once', async () => {
    const deps = engine();
    const e = wireEvent();
    expect((await ingestEvent(deps, e)).kind).toBe('applied');
    expect((await ingestEvent(deps, e)).kind).toBe('duplicate');
    const q = await queryMastery(deps, ref);
    expect(q.kind === 'ok' && q.mastery.topics[0]!.eventCount).toBe(1);
  });

  test('rejects invalid events with the field errors and stores nothing', async () => {
    const deps = engine();
    const out = await ingestEvent(deps, { ...wireEvent(), data: { quiz_id: 'q', score: 7 } });
    expect(out.kind).toBe('rejected');
    if (out.kind === 'rejected') expect(out.errors.map((e) => e.field)).toEqual(['data.score']);
    expect((await deps.store.listTopics(ref)).size).toBe(0);
  });

  test('rejects a topic outside the curriculum and a lesson outside its topic', async () => {
    const deps = engine();
    const unknownTopic = await ingestEvent(deps, wireEvent({ topic_id: 'cobol' }));
    const foreignLesson = await ingestEvent(deps, wireEvent({ event_type: 'lesson.completed', data: { lesson_id: 'oop.classes' } }));
    expect(unknownTopic.kind === 'rejected' && unknownTopic.errors[0]!.field).toBe('topic_id');
    expect(foreignLesson.kind === 'rejected' && foreignLesson.errors[0]!.field).toBe('data.lesson_id');
    expect(unknownTopic.kind === 'rejected' && unknownTopic.eventId).toBeString();
  });
});

describe('querying mastery', () => {
  test('a student without events scores 0, novice, with no topics', async () => {
    const q = await queryMastery(engine(), ref);
    expect(q).toEqual({ kind: 'ok', mastery: { studentId: 'student-1', overall: { masteryScore: 0, level: 'novice' }, topics: [] } });
  });

  test('the overall score is the mean over the topics returned', async () => {
    const deps = engine();
    for (const lesson of curriculum.topics.get('strings')!.lessons) {
      await ingestEvent(deps, wireEvent({ topic_id: 'strings', event_type: 'lesson.completed', data: { lesson_id: lesson } }));
    }
    await ingestEvent(deps, wireEvent({ topic_id: 'strings', data: { quiz_id: 'q', score: 1 } }));
    const q = await queryMastery(deps, ref, ['strings', 'oop']);
    if (q.kind !== 'ok') throw new Error(q.kind);
    const [strings, oop] = q.mastery.topics;
    expect(strings!.masteryScore).toBe(Math.round((0.4 + 0.3 + 0.1 / 14) * 1e4) / 1e4);
    expect(oop).toMatchObject({ topicId: 'oop', masteryScore: 0, eventCount: 0, updatedAt: null });
    expect(q.mastery.overall.masteryScore).toBe(Math.round((strings!.masteryScore / 2) * 1e4) / 1e4);
  });

  test('names topics that are not in the curriculum', async () => {
    expect(await queryMastery(engine(), ref, ['oop', 'cobol'])).toEqual({ kind: 'unknown_topics', topicIds: ['cobol'] });
  });

  test('consistency fades as time passes without activity', async () => {
    const deps = engine();
    await ingestEvent(deps, wireEvent({ occurred_at: '2026-01-14T10:00:00Z' }));
    const before = await queryMastery(deps, ref);
    deps.clock.advance(20 * DAY_MS);
    const after = await queryMastery(deps, ref);
    if (before.kind !== 'ok' || after.kind !== 'ok') throw new Error('query failed');
    expect(before.mastery.topics[0]!.components.consistency).toBeGreaterThan(0);
    expect(after.mastery.topics[0]!.components.consistency).toBe(0);
  });
});

describe('mastery answers kept for the next ask (queryMasteryAnswer)', () => {
  /** An engine whose curriculum version the test sets, its answers kept in process, counting the answers computed. */
  function keeping() {
    const deps = engine();
    let version = 0;
    deps.curricula = { forTenant: async () => ({ version, curriculum }), changed: () => {} };
    // Kept a month, so only the key decides what is computed anew.
    const answers = new MemoryAnswerCache<string>({ clock: deps.clock, maxEntries: 16, ttlMs: 30 * DAY_MS, pseudonymize: testPseudonymize });
    let computed = 0;
    const ask = async (topicIds?: string[]) => {
      const result = await queryMasteryAnswer(deps, answers, ref, topicIds, (m) => {
        computed++;
        return JSON.stringify(m);
      });
      if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
      return JSON.parse(result.answer) as StudentMastery;
    };
    return { deps, answers, ask, computed: () => computed, setVersion: (v: number) => (version = v) };
  }

  test('asked again with nothing changed: the same answer, not computed again; equal to queryMastery', async () => {
    const k = keeping();
    await ingestEvent(k.deps, wireEvent({ occurred_at: '2026-01-14T10:00:00Z' }));
    const first = await k.ask();
    expect(await k.ask()).toEqual(first);
    expect(k.computed()).toBe(1);
    const direct = await queryMastery(k.deps, ref);
    expect(direct.kind === 'ok' && direct.mastery).toEqual(first);
  });

  test('a new event, the next day, a new curriculum version, other topics or another order: each computed anew', async () => {
    const k = keeping();
    await ingestEvent(k.deps, wireEvent({ occurred_at: '2026-01-14T10:00:00Z' }));
    const first = await k.ask();
    await ingestEvent(k.deps, wireEvent({ occurred_at: '2026-01-14T11:00:00Z', data: { quiz_id: 'q2', score: 0.5 } }));
    expect((await k.ask()).topics[0]!.eventCount).toBe(first.topics[0]!.eventCount + 1);
    expect(k.computed()).toBe(2);

    // Later the same day: the kept answer. The next day: consistency counts one day fewer.
    k.deps.clock.advance(10 * 60 * 60 * 1000);
    const sameDay = await k.ask();
    expect(k.computed()).toBe(2);
    k.deps.clock.advance(14 * DAY_MS);
    const later = await k.ask();
    expect(k.computed()).toBe(3);
    expect(later.topics[0]!.components.consistency).toBeLessThan(sameDay.topics[0]!.components.consistency);

    k.setVersion(1);
    await k.ask();
    expect(k.computed()).toBe(4);

    expect((await k.ask(['strings', 'oop'])).topics.map((t) => t.topicId)).toEqual(['strings', 'oop']);
    expect((await k.ask(['oop', 'strings'])).topics.map((t) => t.topicId)).toEqual(['oop', 'strings']);
    expect(k.computed()).toBe(6);
  });

  test('topics not in the curriculum are named, and nothing is kept', async () => {
    const k = keeping();
    expect(await queryMasteryAnswer(k.deps, k.answers, ref, ['oop', 'cobol'], () => 'never')).toEqual({ kind: 'unknown_topics', topicIds: ['cobol'] });
    expect(k.computed()).toBe(0);
  });

  test('after an erasure: no topics, and an answer read before it is not kept', async () => {
    const k = keeping();
    await ingestEvent(k.deps, wireEvent({ occurred_at: '2026-01-14T10:00:00Z' }));
    expect((await k.ask()).topics).toHaveLength(1);
    const erasedAt = k.deps.clock.now();
    await k.deps.store.eraseStudent(ref, erasedAt);
    k.answers.forgetStudent(ref, erasedAt);
    expect((await k.ask()).topics).toEqual([]);
  });
});
