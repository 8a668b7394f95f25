import { describe, expect, test } from 'bun:test';
import { bearer, event, testApp } from '../support/http';

async function seeded() {
  const t = testApp();
  const service = await bearer('service', 'platform');
  const events = [
    event({ student_id: 'student-1', event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } }),
    event({ student_id: 'student-1', data: { quiz_id: 'q1', score: 0.8 } }),
    event({ student_id: 'student-2', topic_id: 'oop', data: { quiz_id: 'q1', score: 0.5 } }),
  ];
  const res = await t.call('POST', '/api/v1/events', { body: events, headers: service });
  expect(res.json.applied).toBe(3);
  await t.call('POST', '/api/v1/cohorts', {
    body: { cohort_id: 'c1', name: 'Monday', teacher_ids: ['teacher-1'], student_ids: ['student-1'] },
    headers: await bearer('admin', 'admin-1'),
  });
  return t;
}

describe('POST /api/v1/mastery/calculate', () => {
  test('computes the weighted score, level, components and contributions; stores nothing', async () => {
    const { call, deps } = testApp();
    const res = await call('POST', '/api/v1/mastery/calculate', {
      body: { components: { completion: 0.9, quiz: 0.8, quality: 0.7, consistency: 0.6 } },
      headers: await bearer('student', 'student-1'),
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      mastery_score: 0.8,
      level: 'mastered',
      components: { completion: 0.9, quiz: 0.8, quality: 0.7, consistency: 0.6 },
      contributions: { completion: 0.36, quiz: 0.24, quality: 0.14, consistency: 0.06 },
    });
    expect((await deps.engine.store.listTopics({ tenantId: 'default', studentId: 'student-1' })).size).toBe(0);
  });

  test.each([
    [{ components: { completion: 1.2, quiz: 0, quality: 0, consistency: 0 } }, 'components.completion'],
    [{ components: { completion: 0.5, quiz: 0, quality: 0 } }, 'components.consistency'],
    [{ components: { completion: '0.5', quiz: 0, quality: 0, consistency: 0 } }, 'components.completion'],
    [{}, 'components'],
  ])('refuses %o with 400 naming the field', async (body, field) => {
    const { call } = testApp();
    const res = await call('POST', '/api/v1/mastery/calculate', { body, headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation_failed');
    expect(res.json.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });
});

describe('reading mastery', () => {
  test('query answers per-topic mastery with components, contributions, count and time', async () => {
    const { call } = await seeded();
    const res = await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1' }, headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(200);
    expect(res.json.student_id).toBe('student-1');
    const [topic] = res.json.topics;
    expect(topic).toMatchObject({ topic_id: 'python-basics', event_count: 2, updated_at: '2026-01-20T10:00:00.000Z' });
    // 1 of 5 lessons, quiz 0.8, one active day of 14.
    expect(topic.components).toEqual({ completion: 0.2, quiz: 0.8, quality: 0, consistency: 0.071429 });
    expect(topic.mastery_score).toBe(0.3271);
    expect(res.json.overall).toEqual({ mastery_score: 0.3271, level: 'novice' });
  });

  test('query with topic_ids answers exactly those topics and rejects unknown ones', async () => {
    const { call } = await seeded();
    const headers = await bearer('student', 'student-1');
    const res = await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1', topic_ids: ['python-basics', 'oop'] }, headers });
    expect(res.json.topics.map((t: { topic_id: string }) => t.topic_id)).toEqual(['python-basics', 'oop']);
    expect(res.json.overall.mastery_score).toBe(0.1636);
    const bad = await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1', topic_ids: ['cobol'] }, headers });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].message).toContain('cobol');
  });

  test('GET returns the same body with an ETag, and 304 for a matching If-None-Match', async () => {
    const { call } = await seeded();
    const headers = await bearer('student', 'student-1');
    const query = await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1' }, headers });
    const get = await call('GET', '/api/v1/students/student-1/mastery', { headers });
    expect(get.json).toEqual(query.json);
    const etag = get.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await call('GET', '/api/v1/students/student-1/mastery', { headers: { ...headers, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  test('the ETag changes when the mastery does', async () => {
    const { call } = await seeded();
    const headers = await bearer('student', 'student-1');
    const before = (await call('GET', '/api/v1/students/student-1/mastery', { headers })).headers.get('etag');
    await call('POST', '/api/v1/events', { body: event({ data: { quiz_id: 'q2', score: 0.1 } }), headers: await bearer('service', 'platform') });
    const after = await call('GET', '/api/v1/students/student-1/mastery', { headers: { ...headers, 'if-none-match': before! } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before);
  });

  test('a student with no events reads as novice with no topics', async () => {
    const { call } = testApp();
    const res = await call('GET', '/api/v1/students/student-9/mastery', { headers: await bearer('student', 'student-9') });
    expect(res.json).toEqual({ student_id: 'student-9', overall: { mastery_score: 0, level: 'novice' }, topics: [] });
  });
});

describe('who may read whom', () => {
  const cases: [string, string, number, () => Promise<Record<string, string>>][] = [
    ['a student, themselves', 'student-1', 200, () => bearer('student', 'student-1')],
    ['a student, another student who exists', 'student-2', 403, () => bearer('student', 'student-1')],
    ['a student, another student who does not exist', 'ghost', 403, () => bearer('student', 'student-1')],
    ['a teacher, a student of their cohort', 'student-1', 200, () => bearer('teacher', 'teacher-1')],
    ['a teacher, a student outside their cohorts', 'student-2', 403, () => bearer('teacher', 'teacher-1')],
    ['another teacher, a student of someone else’s cohort', 'student-1', 403, () => bearer('teacher', 'teacher-2')],
    ['an admin, anyone in the tenant', 'student-2', 200, () => bearer('admin', 'admin-1')],
    ['a service, anyone in the tenant', 'student-2', 200, () => bearer('service', 'platform')],
  ];
  test.each(cases)('%s: reading %s answers %d', async (_who, student, status, auth) => {
    const { call } = await seeded();
    const headers = await auth();
    expect((await call('GET', `/api/v1/students/${student}/mastery`, { headers })).status).toBe(status);
    expect((await call('POST', '/api/v1/mastery/query', { body: { student_id: student }, headers })).status).toBe(status);
  });

  test('a refused read looks the same whether or not the student exists (no enumeration)', async () => {
    const { call } = await seeded();
    const headers = await bearer('student', 'student-1');
    const existing = await call('GET', '/api/v1/students/student-2/mastery', { headers });
    const missing = await call('GET', '/api/v1/students/ghost/mastery', { headers });
    expect([existing.status, existing.json.error.code, existing.json.error.message]).toEqual([missing.status, missing.json.error.code, missing.json.error.message]);
  });

  test('tenants never see each other: an admin of another tenant reads nothing of ours', async () => {
    const { call } = await seeded();
    const other = await call('GET', '/api/v1/students/student-1/mastery', { headers: await bearer('admin', 'admin-1', 'other-tenant') });
    expect(other.status).toBe(200);
    expect(other.json.topics).toEqual([]);
    const cohorts = await call('GET', '/api/v1/cohorts', { headers: await bearer('admin', 'admin-1', 'other-tenant') });
    expect(cohorts.json.cohorts).toEqual([]);
  });
});
