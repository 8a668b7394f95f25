import { describe, expect, test } from 'bun:test';
import { parseCurriculum } from '../../src/domain/mastery/curriculum';
import { durationMinutes, mapStatement, targetOf } from '../../src/domain/xapi/statement';
import { shippedCurriculum } from '../support/curriculum';

const settings = { codeQualityVerb: 'https://x.example/verbs/reviewed', codeQualityExtension: 'https://x.example/ext/quality' };
const base = {
  id: '0b7e3c1a-1111-4222-8333-944455556666',
  actor: { account: { homePage: 'https://lms.example', name: 'student-1' } },
  timestamp: '2026-01-20T10:00:00Z',
};

describe('xAPI activity IRIs', () => {
  test('the default form names a lesson or a topic, whatever comes before it', () => {
    expect(targetOf('https://lms.example/xapi/topics/functions/lessons/functions.scope', shippedCurriculum)).toEqual({ topicId: 'functions', lessonId: 'functions.scope' });
    expect(targetOf('urn:lms/topics/functions/', shippedCurriculum)).toEqual({ topicId: 'functions' });
    expect(targetOf('https://lms.example/topics/functions?attempt=2#q1', shippedCurriculum)).toEqual({ topicId: 'functions' });
    expect(targetOf('https://lms.example/topics/a%3Ab', shippedCurriculum)).toEqual({ topicId: 'a:b' });
    expect(targetOf('https://lms.example/topics/functions/quiz', shippedCurriculum)).toBeUndefined();
    expect(targetOf('https://lms.example/course/7', shippedCurriculum)).toBeUndefined();
  });

  test("the curriculum's table comes first", () => {
    const r = parseCurriculum({ topics: [{ topic_id: 'a', lessons: ['a.1'] }], activities: [{ iri: 'https://lms.example/topics/b', topic_id: 'a', lesson_id: 'a.1' }] });
    if (!r.ok) throw new Error(r.errors.join());
    expect(targetOf('https://lms.example/topics/b', r.curriculum)).toEqual({ topicId: 'a', lessonId: 'a.1' });
  });
});

describe('ISO 8601 durations', () => {
  test('are read in minutes', () => {
    expect(durationMinutes('PT45M')).toBe(45);
    expect(durationMinutes('PT1H30M')).toBe(90);
    expect(durationMinutes('PT90S')).toBe(1.5);
    expect(durationMinutes('P1DT2H')).toBe(1560);
    expect(durationMinutes('PT0.5H')).toBe(30);
    for (const bad of ['P', 'PT', '45M', 'PT-5M', 'PT5X', '']) expect(durationMinutes(bad)).toBeUndefined();
  });
});

describe('statements to events', () => {
  test('a 1.0.3 completion of a lesson and a 2.0 scaled score on an assessment', () => {
    const lesson = mapStatement({ ...base, version: '1.0.3', verb: { id: 'http://adlnet.gov/expapi/verbs/completed' }, object: { id: 'https://l/topics/functions/lessons/functions.scope' } }, shippedCurriculum, settings, 't1');
    expect(lesson).toEqual({
      kind: 'event',
      statementId: base.id,
      event: { event_id: base.id, student_id: 'student-1', topic_id: 'functions', occurred_at: base.timestamp, tenant_id: 't1', event_type: 'lesson.completed', data: { lesson_id: 'functions.scope' } },
    });
    const quiz = mapStatement(
      { ...base, version: '2.0.0', verb: { id: 'http://adlnet.gov/expapi/verbs/failed' }, object: { id: 'https://l/topics/functions/lessons/functions.scope', definition: { type: 'http://adlnet.gov/expapi/activities/assessment' } }, result: { score: { scaled: 0.3 } } },
      shippedCurriculum,
      settings,
      't1',
    );
    expect(quiz.kind === 'event' && quiz.event).toMatchObject({ event_type: 'quiz.completed', data: { quiz_id: 'functions.scope', score: 0.3 } });
  });

  test('a scored lesson page that is not an assessment is a completed lesson, not a quiz', () => {
    const m = mapStatement({ ...base, verb: { id: 'http://adlnet.gov/expapi/verbs/completed' }, object: { id: 'https://l/topics/functions/lessons/functions.scope' }, result: { score: { scaled: 1 } } }, shippedCurriculum, settings, 't1');
    expect(m.kind === 'event' && m.event.event_type).toBe('lesson.completed');
  });

  test('a 1.0.3 timestamp without a zone is UTC; a 2.0 one is left for the ingest path to refuse', () => {
    const at = (version: string) => {
      const m = mapStatement({ ...base, version, timestamp: '2026-01-20T10:00:00', verb: { id: 'http://adlnet.gov/expapi/verbs/completed' }, object: { id: 'https://l/topics/functions/lessons/functions.scope' } }, shippedCurriculum, settings, 't');
      return m.kind === 'event' ? m.event.occurred_at : undefined;
    };
    expect(at('1.0.3')).toBe('2026-01-20T10:00:00Z');
    expect(at('2.0.0')).toBe('2026-01-20T10:00:00');
  });

  test('stored stands in for a missing timestamp; an unknown version and a Group are refused', () => {
    const { timestamp: _t, ...noTimestamp } = base;
    const stored = mapStatement({ ...noTimestamp, stored: '2026-01-20T11:00:00Z', verb: { id: 'http://adlnet.gov/expapi/verbs/completed' }, object: { id: 'https://l/topics/functions/lessons/functions.scope' } }, shippedCurriculum, settings, 't');
    expect(stored.kind === 'event' && stored.event.occurred_at).toBe('2026-01-20T11:00:00Z');
    const refused = mapStatement({ ...base, version: '0.95', actor: { objectType: 'Group', member: [] }, verb: { id: 'x:y' }, object: { id: 'https://l/topics/functions' } }, shippedCurriculum, settings, 't');
    expect(refused.kind === 'rejected' && refused.errors.map((e) => e.field)).toEqual(['version', 'actor']);
  });
});
