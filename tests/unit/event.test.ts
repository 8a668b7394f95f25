import { describe, expect, test } from 'bun:test';
import { parseLearningEvent } from '../../src/domain/mastery/event';
import { wireEvent } from '../support/events';

const fieldsOf = (raw: unknown) => {
  const r = parseLearningEvent(raw);
  return r.ok ? [] : r.errors.map((e) => `${e.field}:${e.code}`);
};

describe('parsing a learning event', () => {
  test('accepts each event type and maps it to the domain', () => {
    const cases = [
      [{ event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } }, { type: 'lesson.completed', lessonId: 'python-basics.intro' }],
      [{ event_type: 'quiz.completed', data: { quiz_id: 'q1', score: 0.75 } }, { type: 'quiz.completed', quizId: 'q1', score: 0.75 }],
      [{ event_type: 'quiz.completed', data: { quiz_id: 'q1', correct: 3, total: 4 } }, { type: 'quiz.completed', quizId: 'q1', score: 0.75 }],
      [{ event_type: 'code.assessed', data: { submission_id: 's1', quality_score: 0.9 } }, { type: 'code.assessed', submissionId: 's1', qualityScore: 0.9 }],
      [{ event_type: 'practice.session', data: { minutes: 25 } }, { type: 'practice.session', minutes: 25 }],
    ] as const;
    for (const [overrides, data] of cases) {
      const r = parseLearningEvent(wireEvent(overrides));
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.event.data).toEqual(data);
    }
  });

  test('fills the default tenant and parses the time as UTC epoch ms', () => {
    const r = parseLearningEvent(wireEvent({ occurred_at: '2026-01-14T12:00:00+02:00' }));
    expect(r.ok && r.event.tenantId).toBe('default');
    expect(r.ok && r.event.occurredAt).toBe(Date.UTC(2026, 0, 14, 10));
  });

  test('names every bad field at once', () => {
    expect(fieldsOf({ event_type: 'quiz.completed', data: { score: 2 } }).sort()).toEqual(
      ['data.quiz_id:required', 'data.score:out_of_range', 'event_id:required', 'occurred_at:required', 'student_id:required', 'topic_id:required'].sort(),
    );
  });

  test.each([
    ['test; DROP TABLE users;--'],
    ['<script>alert(1)</script>'],
    ['$(rm -rf /)'],
    ['a'.repeat(129)],
    [''],
    ['ünïcode'],
    ['with space'],
    ['a/b'],
    ['{tag}'],
  ])('rejects the id %p', (bad) => {
    expect(fieldsOf(wireEvent({ student_id: bad }))).toEqual(['student_id:invalid_format']);
  });

  test('accepts ids of letters, digits and ._:- up to 128 characters', () => {
    expect(fieldsOf(wireEvent({ student_id: 'Stu_1.a:b-c' }))).toEqual([]);
    expect(fieldsOf(wireEvent({ student_id: 'x'.repeat(128) }))).toEqual([]);
  });

  test.each([
    [{ event_type: 'quiz.taken' }, 'event_type:unknown_value'],
    [{ occurred_at: '2026-01-14' }, 'occurred_at:invalid_format'],
    [{ occurred_at: '2026-01-14T10:00:00' }, 'occurred_at:invalid_format'],
    [{ occurred_at: 1768384800000 as unknown as string }, 'occurred_at:invalid_format'],
    [{ data: { quiz_id: 'q', score: '0.5' } }, 'data.score:invalid_type'],
    [{ data: { quiz_id: 'q', score: Number.NaN } }, 'data.score:invalid_type'],
    [{ data: { quiz_id: 'q', correct: 5, total: 4 } }, 'data.correct:out_of_range'],
    [{ data: { quiz_id: 'q', correct: 1, total: 0 } }, 'data.total:out_of_range'],
    [{ data: { quiz_id: 'q', score: 0.5, correct: 1, total: 2 } }, 'data.score:invalid_format'],
    [{ event_type: 'practice.session', data: { minutes: 0 } }, 'data.minutes:out_of_range'],
    [{ event_type: 'practice.session', data: { minutes: 2000 } }, 'data.minutes:out_of_range'],
    [{ event_type: 'code.assessed', data: { submission_id: 's', quality_score: -0.1 } }, 'data.quality_score:out_of_range'],
    [{ data: [] as unknown as Record<string, unknown> }, 'data:invalid_type'],
    [{ tenant_id: 'bad tenant' }, 'tenant_id:invalid_format'],
  ])('rejects %o with %s', (overrides, expected) => {
    expect(fieldsOf(wireEvent(overrides))).toEqual([expected]);
  });

  test('rejects instants whose UTC year is outside 1970-9999, so no stored day can break a date', () => {
    expect(fieldsOf(wireEvent({ occurred_at: '1969-12-31T23:59:59Z' }))).toEqual(['occurred_at:out_of_range']);
    expect(fieldsOf(wireEvent({ occurred_at: '0001-01-01T00:00:00Z' }))).toEqual(['occurred_at:out_of_range']);
    expect(fieldsOf(wireEvent({ occurred_at: '9999-12-31T23:00:00-05:00' }))).toEqual(['occurred_at:out_of_range']);
    expect(fieldsOf(wireEvent({ occurred_at: '1970-01-01T00:00:00Z' }))).toEqual([]);
    expect(fieldsOf(wireEvent({ occurred_at: '9999-12-31T23:59:59Z' }))).toEqual([]);
  });

  test('rejects values that are not objects', () => {
    for (const raw of [null, 42, 'event', [wireEvent()]]) expect(fieldsOf(raw)).toEqual([':invalid_type']);
  });
});
