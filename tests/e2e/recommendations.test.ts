import { describe, expect, test } from 'bun:test';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { bearer, event, testApp } from '../support/http';

const A = '/api/v1/recommendations';

/** An app where student-1 has a quiz in python-basics, and teacher-1 teaches student-1 in cohort c1. */
async function setup() {
  const t = testApp();
  const admin = await bearer('admin', 'admin-1');
  const service = await bearer('service', 'platform');
  await t.call('PUT', '/api/v1/cohorts/c1', { headers: admin, body: { name: 'c1', teacher_ids: ['teacher-1'], student_ids: ['student-1'] } });
  const sent = await t.call('POST', '/api/v1/events', { headers: service, body: event({ data: { quiz_id: 'q1', score: 0.4 } }) });
  expect(sent.json.applied).toBe(1);
  const as = {
    student: await bearer('student', 'student-1'),
    other: await bearer('student', 'student-2'),
    teacher: await bearer('teacher', 'teacher-1'),
    stranger: await bearer('teacher', 'teacher-2'),
    admin,
    service,
  };
  return { ...t, as };
}

describe('POST /recommendations/adaptive', () => {
  test('a topic practised days ago is due for review by the retention model: a retention recommendation with due_at', async () => {
    const t = testApp();
    // One good day of practice six days before the test clock's today: stability 2 days, so due since Jan 16.
    await t.call('POST', '/api/v1/events', { headers: await bearer('service', 'platform'), body: event({ occurred_at: '2026-01-14T10:00:00Z', data: { quiz_id: 'q1', score: 0.9 } }) });
    const res = await t.call('POST', `${A}/adaptive`, { headers: await bearer('student', 'student-1'), body: { student_id: 'student-1' } });
    const retention = res.json.recommendations.filter((r: { area: string }) => r.area === 'retention');
    expect(retention).toHaveLength(1);
    expect(retention[0]).toMatchObject({ topic_id: 'python-basics', action: 'review', due_at: '2026-01-17T00:00:00.000Z' });
  });

  test('the student gets one recommendation per weak component, sorted, with ids, times and reasons', async () => {
    const { call, as } = await setup();
    const res = await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1' } });
    expect(res.status).toBe(200);
    expect(res.json.student_id).toBe('student-1');
    expect(res.json.generated_at).toBe('2026-01-20T12:00:00.000Z');
    expect(res.json.recommendations.map((r: any) => `${r.area}:${r.action}:${r.priority}`)).toEqual(['completion:review:high', 'quality:refactor:high', 'quiz:practice:medium', 'consistency:schedule:medium']);
    const review = res.json.recommendations[0];
    expect(review).toMatchObject({ topic_id: 'python-basics', expected_gain: 0.28, estimated_minutes: 45, items: ['python-basics.intro', 'python-basics.variables', 'python-basics.types'] });
    expect(review.recommendation_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('teachers of the student, admins and services may read; other students and other teachers get 403', async () => {
    const { call, as } = await setup();
    for (const who of [as.teacher, as.admin, as.service]) expect((await call('POST', `${A}/adaptive`, { headers: who, body: { student_id: 'student-1' } })).status).toBe(200);
    for (const who of [as.other, as.stranger]) {
      const res = await call('POST', `${A}/adaptive`, { headers: who, body: { student_id: 'student-1' } });
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('forbidden');
    }
  });

  test('the same answer (same ids) is served until an event changes the state; then a fresh one', async () => {
    const { call, as } = await setup();
    const ids = async () => (await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1' } })).json.recommendations.map((r: any) => r.recommendation_id);
    const first = await ids();
    expect(await ids()).toEqual(first);
    // Another question is another answer, not the cached one.
    const narrower = (await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1', limit: 1 } })).json.recommendations.map((r: any) => r.recommendation_id);
    expect(narrower.some((id: string) => first.includes(id))).toBe(false);
    await call('POST', '/api/v1/events', { headers: as.service, body: event({ event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } }) });
    const after = await ids();
    expect(after.some((id: string) => first.includes(id))).toBe(false);
  });

  test('topic_ids and limit narrow the answer; a student with no data gets the curriculum roots', async () => {
    const { call, as } = await setup();
    const res = await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1', topic_ids: ['oop'], limit: 2 } });
    expect(res.json.recommendations.map((r: any) => [r.topic_id, r.area])).toEqual([
      ['oop', 'completion'],
      ['oop', 'quiz'],
    ]);
    const fresh = await call('POST', `${A}/adaptive`, { headers: as.admin, body: { student_id: 'newcomer' } });
    expect(new Set(fresh.json.recommendations.map((r: any) => r.topic_id))).toEqual(new Set(['python-basics']));
  });

  test('unknown topics are a 400 naming them; a bad limit or an unknown field is a 400', async () => {
    const { call, as } = await setup();
    const unknown = await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1', topic_ids: ['oop', 'cobol', 'fortran'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details.map((d: any) => d.message)).toEqual(['unknown topic cobol', 'unknown topic fortran']);
    for (const body of [{ student_id: 'student-1', limit: 0 }, { student_id: 'student-1', limit: 51 }, { student_id: 'student-1', limit: 2.5 }, { student_id: 'student-1', extra: 1 }, {}]) {
      const res = await call('POST', `${A}/adaptive`, { headers: as.student, body });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
    }
  });

  test('without a token: 401', async () => {
    const { call } = await setup();
    expect((await call('POST', `${A}/adaptive`, { body: { student_id: 'student-1' } })).status).toBe(401);
  });
});

describe('POST /recommendations/learning-path', () => {
  test('to a target: unmet prerequisites first, the target last, with times and expected mastery', async () => {
    const { call, as } = await setup();
    const res = await call('POST', `${A}/learning-path`, { headers: as.student, body: { student_id: 'student-1', target_topic_id: 'functions' } });
    expect(res.status).toBe(200);
    expect(res.json.target_topic_id).toBe('functions');
    expect(res.json.steps.map((s: any) => [s.order, s.topic_id, s.prerequisites])).toEqual([
      [1, 'python-basics', []],
      [2, 'control-flow', ['python-basics']],
      [3, 'functions', ['control-flow']],
    ]);
    expect(res.json.total_estimated_minutes).toBe(res.json.steps.reduce((a: number, s: any) => a + s.estimated_minutes, 0));
    expect(res.json.steps[2].expected_mastery_after).toBe(0.7);
  });

  test('without a target: the whole curriculum from its roots for a student with no data; max_steps cuts it', async () => {
    const { call, as } = await setup();
    const res = await call('POST', `${A}/learning-path`, { headers: as.admin, body: { student_id: 'newcomer', max_steps: 3 } });
    expect(res.json.target_topic_id).toBeNull();
    expect(res.json.steps.map((s: any) => s.topic_id)).toEqual(['python-basics', 'control-flow', 'functions']);
  });

  test('an unknown target is a 400 naming it; max_steps out of range is a 400; other students get 403', async () => {
    const { call, as } = await setup();
    const unknown = await call('POST', `${A}/learning-path`, { headers: as.student, body: { student_id: 'student-1', target_topic_id: 'cobol' } });
    expect([unknown.status, unknown.json.error.details[0].message]).toEqual([400, 'unknown topic cobol']);
    expect((await call('POST', `${A}/learning-path`, { headers: as.student, body: { student_id: 'student-1', max_steps: 51 } })).status).toBe(400);
    expect((await call('POST', `${A}/learning-path`, { headers: as.other, body: { student_id: 'student-1' } })).status).toBe(403);
    expect((await call('POST', `${A}/learning-path`, { body: { student_id: 'student-1' } })).status).toBe(401);
  });
});

describe('feedback and history', () => {
  test('the student and their teacher give feedback; history lists it, newest first', async () => {
    const { call, as } = await setup();
    const recs = (await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1' } })).json.recommendations;
    const [first, second] = recs.map((r: any) => r.recommendation_id);
    const byStudent = await call('POST', `${A}/${first}/feedback`, { headers: as.student, body: { student_id: 'student-1', status: 'accepted', helpful: true } });
    expect(byStudent.status).toBe(200);
    expect(byStudent.json).toEqual({ recommendation_id: first, student_id: 'student-1', status: 'accepted', helpful: true });
    expect((await call('POST', `${A}/${second}/feedback`, { headers: as.teacher, body: { student_id: 'student-1', status: 'dismissed' } })).status).toBe(200);
    const history = await call('GET', `${A}/history/student-1`, { headers: as.teacher });
    expect(history.status).toBe(200);
    expect(history.json.recommendations.map((r: any) => [r.recommendation_id, r.feedback?.status ?? null])).toEqual(recs.map((r: any, i: number) => [r.recommendation_id, i === 0 ? 'accepted' : i === 1 ? 'dismissed' : null]));
    expect(history.json.recommendations[0]).toMatchObject({ served_at: '2026-01-20T12:00:00.000Z', feedback: { status: 'accepted', helpful: true, at: '2026-01-20T12:00:00.000Z' } });
  });

  test('feedback: admins, services, other students and other teachers get 403; an unknown id 404; a bad status 400', async () => {
    const { call, as } = await setup();
    const id = (await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1' } })).json.recommendations[0].recommendation_id;
    for (const who of [as.admin, as.service, as.other, as.stranger]) {
      expect((await call('POST', `${A}/${id}/feedback`, { headers: who, body: { student_id: 'student-1', status: 'completed' } })).status).toBe(403);
    }
    const missing = await call('POST', `${A}/no-such-id/feedback`, { headers: as.student, body: { student_id: 'student-1', status: 'completed' } });
    expect([missing.status, missing.json.error.code]).toEqual([404, 'not_found']);
    // Another student's id is not found under this student.
    expect((await call('POST', `${A}/${id}/feedback`, { headers: as.other, body: { student_id: 'student-2', status: 'completed' } })).status).toBe(404);
    expect((await call('POST', `${A}/${id}/feedback`, { headers: as.student, body: { student_id: 'student-1', status: 'done' } })).status).toBe(400);
    expect((await call('POST', `${A}/${id}/feedback`, { body: { student_id: 'student-1', status: 'completed' } })).status).toBe(401);
  });

  test('history follows the read rules', async () => {
    const { call, as } = await setup();
    expect((await call('GET', `${A}/history/student-1`, { headers: as.student })).json).toEqual({ student_id: 'student-1', recommendations: [] });
    expect((await call('GET', `${A}/history/student-1`, { headers: as.other })).status).toBe(403);
    expect((await call('GET', `${A}/history/student-1`, { headers: as.stranger })).status).toBe(403);
    expect((await call('GET', `${A}/history/student-1`, { headers: as.service })).status).toBe(200);
  });

  test('recommendations are in the export and gone after erasure', async () => {
    const { call, as } = await setup();
    await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1' } });
    const exported = await call('GET', '/api/v1/compliance/export/student-1', { headers: as.student });
    expect(exported.json.recommendations.length).toBe(4);
    await call('DELETE', '/api/v1/compliance/student/student-1', { headers: as.student });
    expect((await call('GET', `${A}/history/student-1`, { headers: as.admin })).json.recommendations).toEqual([]);
    expect((await call('GET', '/api/v1/compliance/export/student-1', { headers: as.admin })).json.recommendations).toEqual([]);
  });
});

describe('GET /recommendations/effect', () => {
  test("teachers and admins see the week's mastery change after completed versus dismissed, with counts and the caveat", async () => {
    const { call, as, clock } = await setup();
    const recs = (await call('POST', `${A}/adaptive`, { headers: as.student, body: { student_id: 'student-1' } })).json.recommendations;
    await call('POST', `${A}/${recs[0].recommendation_id}/feedback`, { headers: as.student, body: { student_id: 'student-1', status: 'completed' } });
    await call('POST', `${A}/${recs[1].recommendation_id}/feedback`, { headers: as.student, body: { student_id: 'student-1', status: 'dismissed' } });
    const pending = await call('GET', `${A}/effect`, { headers: as.teacher });
    expect(pending.json).toMatchObject({ horizon_days: 7, students: 1, completed: { count: 0, mean_change: null }, pending: 2 });
    // Three lessons on the three days after the feedback, then the week runs out.
    for (const lesson of ['intro', 'variables', 'types']) {
      clock.advance(DAY_MS);
      const sent = await call('POST', '/api/v1/events', { headers: as.service, body: event({ occurred_at: new Date(clock.now()).toISOString(), event_type: 'lesson.completed', data: { lesson_id: `python-basics.${lesson}` } }) });
      expect(sent.json.applied).toBe(1);
    }
    clock.advance(5 * DAY_MS);
    const res = await call('GET', `${A}/effect?cohort_id=c1`, { headers: as.admin });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ horizon_days: 7, students: 1, completed: { count: 1 }, dismissed: { count: 1 }, pending: 0 });
    expect(res.json.completed.mean_change).toBeGreaterThan(0.2);
    expect(res.json.note).toContain('not causal');
  });

  test('students and services get 403; a cohort the teacher does not teach is 404', async () => {
    const { call, as } = await setup();
    for (const who of [as.student, as.service]) expect((await call('GET', `${A}/effect`, { headers: who })).status).toBe(403);
    expect((await call('GET', `${A}/effect?cohort_id=c1`, { headers: as.stranger })).status).toBe(404);
    expect((await call('GET', `${A}/effect?cohort_id=bad id`, { headers: as.admin })).status).toBe(400);
    expect((await call('GET', `${A}/effect`)).status).toBe(401);
  });
});
