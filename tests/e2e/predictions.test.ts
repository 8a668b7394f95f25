import { describe, expect, test } from 'bun:test';
import { bearer, event, testApp } from '../support/http';

/** A learner active on Jan 14, 16, 18 and 20 (the test clock's today), a lesson and a quiz each day. */
async function withHistory() {
  const t = testApp();
  const lessons = ['python-basics.intro', 'python-basics.variables', 'python-basics.types', 'python-basics.operators'];
  const events = [14, 16, 18, 20].flatMap((d, i) => [
    event({ occurred_at: `2026-01-${d}T09:00:00Z`, event_type: 'lesson.completed', data: { lesson_id: lessons[i] } }),
    event({ occurred_at: `2026-01-${d}T10:00:00Z`, data: { quiz_id: `q${i}`, score: 0.7 + i * 0.05 } }),
  ]);
  const res = await t.call('POST', '/api/v1/events', { body: events, headers: await bearer('service', 'platform') });
  expect(res.json.applied).toBe(events.length);
  return t;
}

describe('POST /api/v1/predictions/next-week', () => {
  test('answers every field: overall and per topic, with interval, confidence, trend, reasons and review date', async () => {
    const { call } = await withHistory();
    const res = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(200);
    const body = res.json;
    expect(body).toMatchObject({ student_id: 'student-1', as_of: '2026-01-20T12:00:00.000Z', horizon_days: 7, model: { name: 'component_activity', version: '2' }, cached: false });
    expect(body.topics).toHaveLength(1);
    const topic = body.topics[0];
    expect(topic.topic_id).toBe('python-basics');
    expect(topic.low).toBeLessThanOrEqual(topic.predicted);
    expect(topic.predicted).toBeLessThanOrEqual(topic.high);
    expect(topic.predicted).toBeGreaterThan(topic.current);
    expect(topic.trend).toBe('improving');
    expect(topic.confidence).toBeGreaterThan(0);
    expect(Date.parse(topic.review_due_at)).toBeGreaterThan(Date.parse('2026-01-20T12:00:00Z'));
    expect(body.overall).toMatchObject({ current: topic.current, predicted: topic.predicted, trend: 'improving' });
    expect(['novice', 'developing', 'proficient', 'mastered']).toContain(body.overall.level_predicted);
    // Seven days of history: enough not to say "insufficient", and active on the last day.
    expect(topic.reasons.map((r: { code: string }) => r.code)).not.toContain('insufficient_history');
    expect(topic.reasons.map((r: { code: string }) => r.code)).not.toContain('inactive');
  });

  test('a new learner is an answer, not an error: insufficient history, low confidence, and help flagged below the threshold', async () => {
    const t = testApp();
    await t.call('POST', '/api/v1/events', { body: event({ occurred_at: '2026-01-20T09:00:00Z', data: { quiz_id: 'q', score: 0.3 } }), headers: await bearer('service', 'platform') });
    const res = await t.call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: await bearer('teacher', 't') });
    // A teacher without a cohort may not read the student.
    expect(res.status).toBe(403);
    const admin = await t.call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: await bearer('admin', 'admin-1') });
    const topic = admin.json.topics[0];
    expect(topic.reasons.map((r: { code: string }) => r.code)).toEqual(['predicted_below_threshold', 'insufficient_history']);
    expect(topic.needs_intervention).toBe(true);
    expect(admin.json.needs_intervention).toBe(true);
    expect(topic.confidence).toBeLessThan(0.3);
  });

  test('a student with no events and an unknown id get the same empty answer', async () => {
    const { call } = await withHistory();
    const headers = await bearer('admin', 'admin-1');
    const unknown = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'nobody' }, headers });
    expect(unknown.status).toBe(200);
    expect(unknown.json).toMatchObject({ student_id: 'nobody', topics: [], needs_intervention: false, overall: { current: 0, predicted: 0, low: 0, high: 0, trend: 'stable' } });
  });

  test('unknown topic ids are a 400 naming them; topic_ids limits the answer', async () => {
    const { call } = await withHistory();
    const headers = await bearer('admin', 'admin-1');
    const bad = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1', topic_ids: ['nope', 'python-basics'] }, headers });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details).toEqual([{ field: 'topic_ids', code: 'unknown_value', message: 'unknown topic nope' }]);
    const other = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1', topic_ids: ['oop'] }, headers });
    expect(other.json.topics).toEqual([]);
  });

  test('as_of answers from what had occurred by then; students may not rewind the clock', async () => {
    const { call } = await withHistory();
    const then = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1', as_of: '2026-01-16T23:00:00Z' }, headers: await bearer('admin', 'admin-1') });
    const now = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: await bearer('admin', 'admin-1') });
    expect(then.status).toBe(200);
    expect(then.json.as_of).toBe('2026-01-16T23:00:00.000Z');
    expect(then.json.topics[0].current).toBeLessThan(now.json.topics[0].current);
    const student = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1', as_of: '2026-01-16T23:00:00Z' }, headers: await bearer('student', 'student-1') });
    expect(student.status).toBe(403);
    const malformed = await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1', as_of: 'yesterday' }, headers: await bearer('admin', 'admin-1') });
    expect(malformed.status).toBe(400);
  });

  test('a student may not read another student; a teacher reads their cohort only', async () => {
    const { call } = await withHistory();
    expect((await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: await bearer('student', 'student-2') })).status).toBe(403);
    await call('PUT', '/api/v1/cohorts/c1', { body: { name: 'c1', teacher_ids: ['teacher-1'], student_ids: ['student-1'] }, headers: await bearer('admin', 'admin-1') });
    expect((await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: await bearer('teacher', 'teacher-1') })).status).toBe(200);
    expect((await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: await bearer('teacher', 'teacher-2') })).status).toBe(403);
    expect((await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' } })).status).toBe(401);
  });
});

describe('prediction cache and live accuracy', () => {
  test('a repeat is served from the cache until a new event changes the student\'s evidence', async () => {
    const t = await withHistory();
    const ask = () => t.call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: { ...admin } });
    const admin = await bearer('admin', 'admin-1');
    const first = await ask();
    const second = await ask();
    expect([first.json.cached, second.json.cached]).toEqual([false, true]);
    expect({ ...second.json, cached: false }).toEqual(first.json);
    await t.call('POST', '/api/v1/events', { body: event({ occurred_at: '2026-01-20T11:00:00Z', data: { quiz_id: 'late', score: 0.1 } }), headers: await bearer('service', 'platform') });
    const third = await ask();
    expect(third.json.cached).toBe(false);
    expect(third.json.topics[0].current).toBeLessThan(first.json.topics[0].current);
  });

  test('a served prediction is scored once its day has passed, and the accuracy summary counts it', async () => {
    const t = await withHistory();
    const admin = await bearer('admin', 'admin-1');
    await t.call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: admin });
    expect((await t.call('GET', '/api/v1/predictions/accuracy?days=30', { headers: admin })).json.samples).toBe(0);
    t.clock.set(Date.parse('2026-01-28T12:00:00Z'));
    await t.call('POST', '/api/v1/events', { body: event({ occurred_at: '2026-01-28T09:00:00Z' }), headers: await bearer('service', 'platform') });
    await t.call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: admin });
    const topics = await t.call('GET', '/api/v1/predictions/accuracy?days=30', { headers: admin });
    expect(topics.status).toBe(200);
    expect(topics.json).toMatchObject({ scope: 'topics', samples: 1 });
    expect(topics.json.mae).toBeGreaterThanOrEqual(0);
    expect(topics.json.baseline_mae.last_value).toBeGreaterThanOrEqual(0);
    const overall = await t.call('GET', '/api/v1/predictions/accuracy?days=30&scope=overall', { headers: admin });
    expect(overall.json.samples).toBe(1);
    expect((await t.call('GET', '/api/v1/predictions/accuracy', { headers: await bearer('student', 'student-1') })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/predictions/accuracy?days=0', { headers: admin })).status).toBe(400);
  });
});

describe('POST /api/v1/predictions/trajectory', () => {
  test('one point per day for 14 days by default, intervals around the predictions', async () => {
    const { call } = await withHistory();
    const res = await call('POST', '/api/v1/predictions/trajectory', { body: { student_id: 'student-1' }, headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ student_id: 'student-1', topic_id: null, as_of: '2026-01-20T12:00:00.000Z', model: { name: 'component_activity' } });
    expect(res.json.points.map((p: { date: string }) => p.date)).toEqual(Array.from({ length: 14 }, (_, i) => new Date(Date.UTC(2026, 0, 21 + i)).toISOString().slice(0, 10)));
    for (const p of res.json.points) {
      expect(p.low).toBeLessThanOrEqual(p.predicted);
      expect(p.predicted).toBeLessThanOrEqual(p.high);
    }
  });

  test('days outside 1-30 and unknown topics are refused; a topic narrows it', async () => {
    const { call } = await withHistory();
    const headers = await bearer('admin', 'admin-1');
    expect((await call('POST', '/api/v1/predictions/trajectory', { body: { student_id: 'student-1', days: 31 }, headers })).status).toBe(400);
    expect((await call('POST', '/api/v1/predictions/trajectory', { body: { student_id: 'student-1', days: 0 }, headers })).status).toBe(400);
    expect((await call('POST', '/api/v1/predictions/trajectory', { body: { student_id: 'student-1', topic_id: 'nope' }, headers })).status).toBe(400);
    const one = await call('POST', '/api/v1/predictions/trajectory', { body: { student_id: 'student-1', topic_id: 'python-basics', days: 3 }, headers });
    expect(one.json.topic_id).toBe('python-basics');
    expect(one.json.points).toHaveLength(3);
  });
});

describe('GET /api/v1/cohorts/{cohort_id}/at-risk', () => {
  test('lists the flagged students of the cohort worst first, with reasons; consent withdrawals are left out and counted', async () => {
    const t = testApp();
    const service = await bearer('service', 'platform');
    const admin = await bearer('admin', 'admin-1');
    // s-low: one poor quiz today; s-mid: a middling one; s-ok: a week of steady work; s-gone: withdrew consent.
    const events = [
      event({ student_id: 's-low', occurred_at: '2026-01-20T09:00:00Z', data: { quiz_id: 'q', score: 0.1 } }),
      event({ student_id: 's-mid', occurred_at: '2026-01-20T09:00:00Z', data: { quiz_id: 'q', score: 0.6 } }),
      event({ student_id: 's-gone', occurred_at: '2026-01-20T09:00:00Z', data: { quiz_id: 'q', score: 0.1 } }),
      ...['intro', 'variables', 'types', 'operators', 'input-output'].flatMap((l, i) => [
        event({ student_id: 's-ok', occurred_at: `2026-01-${14 + i}T09:00:00Z`, event_type: 'lesson.completed', data: { lesson_id: `python-basics.${l}` } }),
        event({ student_id: 's-ok', occurred_at: `2026-01-${14 + i}T10:00:00Z`, data: { quiz_id: `q${i}`, score: 0.95 } }),
        event({ student_id: 's-ok', occurred_at: `2026-01-${14 + i}T11:00:00Z`, event_type: 'code.assessed', data: { submission_id: `c${i}`, quality_score: 0.95 } }),
      ]),
    ];
    expect((await t.call('POST', '/api/v1/events', { body: events, headers: service })).json.applied).toBe(events.length);
    await t.call('PUT', '/api/v1/compliance/consent/s-gone', { body: { analytics: false }, headers: admin });
    await t.call('PUT', '/api/v1/cohorts/c1', { body: { name: 'c1', teacher_ids: ['teacher-1'], student_ids: ['s-low', 's-mid', 's-ok', 's-gone'] }, headers: admin });

    const res = await t.call('GET', '/api/v1/cohorts/c1/at-risk', { headers: await bearer('teacher', 'teacher-1') });
    expect(res.status).toBe(200);
    expect(res.json.excluded_no_consent).toBe(1);
    expect(res.json.students.map((s: { student_id: string }) => s.student_id)).toEqual(['s-low', 's-mid']);
    expect(res.json.students[0].topics[0].reasons.map((r: { code: string }) => r.code)).toContain('predicted_below_threshold');
    expect(res.json.students[0].predicted).toBeLessThan(res.json.students[1].predicted);
  });

  test('only the cohort\'s teachers and admins: anyone else gets 404, as for cohorts', async () => {
    const t = testApp();
    await t.call('PUT', '/api/v1/cohorts/c1', { body: { name: 'c1', teacher_ids: ['teacher-1'], student_ids: ['student-1'] }, headers: await bearer('admin', 'admin-1') });
    expect((await t.call('GET', '/api/v1/cohorts/c1/at-risk', { headers: await bearer('admin', 'admin-1') })).status).toBe(200);
    for (const [role, sub] of [['teacher', 'teacher-2'], ['student', 'student-1'], ['service', 'platform']] as const) {
      expect((await t.call('GET', '/api/v1/cohorts/c1/at-risk', { headers: await bearer(role, sub) })).status).toBe(404);
    }
    expect((await t.call('GET', '/api/v1/cohorts/nope/at-risk', { headers: await bearer('admin', 'admin-1') })).status).toBe(404);
  });
});
