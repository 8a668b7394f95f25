import { describe, expect, test } from 'bun:test';
import { bearer, event, testApp } from '../support/http';

type Doc = { topics: { topic_id: string; title?: string; lessons: string[]; prerequisites?: string[] }[]; activities?: unknown[] };

/** The shipped curriculum as GET answers it, without the response-only fields: what an editor starts from. */
async function shipped(call: ReturnType<typeof testApp>['call']): Promise<Doc> {
  const got = await call('GET', '/api/v1/curriculum', { headers: await bearer('admin', 'admin-1') });
  return { topics: got.json.topics };
}

describe('GET /api/v1/curriculum', () => {
  test('every role reads the shipped curriculum as version 0 until the tenant stores its own', async () => {
    const { call } = testApp();
    for (const [role, sub] of [['student', 'student-1'], ['teacher', 'teacher-1'], ['service', 'lms'], ['admin', 'admin-1']] as const) {
      const got = await call('GET', '/api/v1/curriculum', { headers: await bearer(role, sub) });
      expect(got.status).toBe(200);
      expect(got.headers.get('etag')).toBe('"0"');
      expect(got.json).toMatchObject({ version: 0, source: 'default', updated_at: null, activities: [] });
      expect(got.json.topics[0]).toEqual({ topic_id: 'python-basics', title: 'Python basics', lessons: expect.any(Array), prerequisites: [] });
    }
  });

  test('without a token: 401', async () => {
    expect((await testApp().call('GET', '/api/v1/curriculum')).status).toBe(401);
  });
});

describe('PUT /api/v1/curriculum', () => {
  test('an admin replaces the curriculum; events for a new topic are accepted at once, another tenant keeps the file', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const doc = await shipped(call);
    doc.topics.push({ topic_id: 'rust-basics', title: 'Rust basics', lessons: ['rust-basics.hello'], prerequisites: ['python-basics'] });
    const service = await bearer('service', 'lms');
    const newTopic = event({ topic_id: 'rust-basics', event_type: 'lesson.completed', data: { lesson_id: 'rust-basics.hello' } });
    expect((await call('POST', '/api/v1/events', { body: newTopic, headers: service })).json.results[0].status).toBe('rejected');

    const put = await call('PUT', '/api/v1/curriculum', { body: doc, headers: { ...admin, 'if-match': '"0"' } });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"1"');
    expect(put.json).toMatchObject({ version: 1, source: 'tenant', recalculation: { needed: false, topics: [], student_ids: [], requests: [] } });
    expect(put.json.updated_at).toMatch(/^\d{4}-/);
    expect((await call('GET', '/api/v1/curriculum', { headers: await bearer('teacher', 'teacher-1') })).json.topics.at(-1)).toEqual({ topic_id: 'rust-basics', title: 'Rust basics', lessons: ['rust-basics.hello'], prerequisites: ['python-basics'] });
    expect((await call('POST', '/api/v1/events', { body: { ...newTopic, event_id: 'e-rust-2' }, headers: service })).json.results[0].status).toBe('applied');

    const otherTenant = await call('GET', '/api/v1/curriculum', { headers: await bearer('admin', 'admin-2', 'other-school') });
    expect(otherTenant.json).toMatchObject({ version: 0, source: 'default' });
  });

  test('students, teachers and services may not replace it: 403, audited as denied', async () => {
    const { call, auditLog } = testApp();
    const doc = await shipped(call);
    for (const [role, sub] of [['student', 'student-1'], ['teacher', 'teacher-1'], ['service', 'lms']] as const) {
      const put = await call('PUT', '/api/v1/curriculum', { body: doc, headers: { ...(await bearer(role, sub)), 'if-match': '"0"' } });
      expect(put.status).toBe(403);
      expect(put.json.error.code).toBe('forbidden');
    }
    const denied = (await auditLog.list({ tenantId: 'default' })).filter((e) => e.action === 'curriculum.replace');
    expect(denied.map((e) => e.outcome)).toEqual(['denied', 'denied', 'denied']);
  });

  test('every problem of the document is listed in one 400, and nothing is stored', async () => {
    const { call } = testApp();
    const admin = { ...(await bearer('admin', 'admin-1')), 'if-match': '"0"' };
    const put = await call('PUT', '/api/v1/curriculum', {
      headers: admin,
      body: {
        topics: [
          { topic_id: 'a', title: 'A', lessons: ['a.1', 'a.1'] },
          { topic_id: 'a', title: 'A again', lessons: ['x'] },
          { topic_id: 'b', title: 'B', lessons: ['b.1'], prerequisites: ['nowhere'] },
        ],
        activities: [{ iri: 'https://lms.example/course/7', topic_id: 'b', lesson_id: 'not-in-b' }, { iri: 'https://lms.example/x', topic_id: 'missing' }],
      },
    });
    expect(put.status).toBe(400);
    expect(put.json.error.code).toBe('validation_failed');
    expect(put.json.error.details).toEqual([
      { field: 'topics[0].lessons', code: 'invalid', message: 'repeats lesson "a.1"' },
      { field: 'topics[1].topic_id', code: 'invalid', message: 'repeats "a"' },
      { field: 'topics[2].prerequisites', code: 'invalid', message: 'names unknown topic "nowhere"' },
      { field: 'activities[0].lesson_id', code: 'invalid', message: 'must name a lesson of topic "b"' },
      { field: 'activities[1].topic_id', code: 'invalid', message: 'must name a topic of this curriculum' },
    ]);
    expect((await call('GET', '/api/v1/curriculum', { headers: admin })).json.version).toBe(0);
  });

  test('a prerequisite cycle is refused with the cycle named', async () => {
    const { call } = testApp();
    const put = await call('PUT', '/api/v1/curriculum', {
      headers: { ...(await bearer('admin', 'admin-1')), 'if-match': '"0"' },
      body: { topics: [{ topic_id: 'a', lessons: ['a.1'], prerequisites: ['b'] }, { topic_id: 'b', lessons: ['b.1'], prerequisites: ['a'] }] },
    });
    expect(put.status).toBe(400);
    expect(put.json.error.details).toEqual([{ field: 'topics', code: 'invalid', message: 'prerequisites form a cycle: a -> b -> a (a learning path could never start it)' }]);
  });

  test('the wrong shape is a 400 naming each field', async () => {
    const { call } = testApp();
    const put = await call('PUT', '/api/v1/curriculum', { headers: { ...(await bearer('admin', 'admin-1')), 'if-match': '"0"' }, body: { topics: [{ topic_id: 'bad id', lessons: [] }], extra: 1 } });
    expect(put.status).toBe(400);
    expect(put.json.error.code).toBe('validation_failed');
    expect(put.json.error.details.length).toBeGreaterThanOrEqual(2);
  });

  test('a stale version is 412 with the current ETag, and the newer curriculum stays', async () => {
    const { call, auditLog } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const doc = await shipped(call);
    expect((await call('PUT', '/api/v1/curriculum', { body: doc, headers: { ...admin, 'if-match': '"0"' } })).status).toBe(200);
    const stale = await call('PUT', '/api/v1/curriculum', { body: { ...doc, topics: doc.topics.slice(0, 1) }, headers: { ...admin, 'if-match': '"0"' } });
    expect(stale.status).toBe(412);
    expect(stale.json.error.code).toBe('precondition_failed');
    expect(stale.headers.get('etag')).toBe('"1"');
    // The body's version works like If-Match.
    expect((await call('PUT', '/api/v1/curriculum', { body: { ...doc, version: 0 }, headers: admin })).status).toBe(412);
    expect((await call('GET', '/api/v1/curriculum', { headers: admin })).json.topics).toHaveLength(doc.topics.length);
    expect((await call('PUT', '/api/v1/curriculum', { body: { ...doc, version: 1 }, headers: admin })).json.version).toBe(2);
    const outcomes = (await auditLog.list({ tenantId: 'default' })).filter((e) => e.action === 'curriculum.replace').map((e) => [e.outcome, e.target]);
    expect(outcomes).toEqual([['success', 'curriculum:v1'], ['failure', 'curriculum:v0'], ['failure', 'curriculum:v0'], ['success', 'curriculum:v2']]);
  });

  test('without If-Match or version: 428; when they disagree: 400', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const doc = await shipped(call);
    const missing = await call('PUT', '/api/v1/curriculum', { body: doc, headers: admin });
    expect(missing.status).toBe(428);
    expect(missing.json.error.code).toBe('precondition_required');
    expect((await call('PUT', '/api/v1/curriculum', { body: { ...doc, version: 3 }, headers: { ...admin, 'if-match': '"0"' } })).status).toBe(400);
    expect((await call('PUT', '/api/v1/curriculum', { body: doc, headers: { ...admin, 'if-match': 'banana' } })).status).toBe(400);
  });

  test("a change of a topic's lessons names the students to recalculate and the batch request to send", async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const service = await bearer('service', 'lms');
    await call('POST', '/api/v1/cohorts', { body: { cohort_id: 'c1', name: 'Monday', teacher_ids: ['teacher-1'], student_ids: ['student-1', 'student-2', 'student-3'] }, headers: admin });
    await call('POST', '/api/v1/events', { body: [event({ student_id: 'student-1', topic_id: 'control-flow' }), event({ student_id: 'student-2', topic_id: 'python-basics' })], headers: service });
    const doc = await shipped(call);
    const flow = doc.topics.find((t) => t.topic_id === 'control-flow')!;
    flow.lessons = [...flow.lessons.filter((l) => l !== 'control-flow.match'), 'control-flow.comprehensions'];
    const put = await call('PUT', '/api/v1/curriculum', { body: doc, headers: { ...admin, 'if-match': '"0"' } });
    expect(put.status).toBe(200);
    expect(put.json.recalculation).toMatchObject({
      needed: true,
      topics: [{ topic_id: 'control-flow', lessons_added: ['control-flow.comprehensions'], lessons_removed: ['control-flow.match'] }],
      student_ids: ['student-1'],
      truncated: false,
      requests: [{ method: 'POST', path: '/api/v1/batch/mastery', body: { student_ids: ['student-1'], topic_ids: ['control-flow'] } }],
    });
    expect(put.json.recalculation.reason).toContain('batch recalculation');
  });

  test("mastery, predictions, recommendations and analytics all follow the tenant's curriculum", async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const asks = [
      ['/api/v1/mastery/query', { student_id: 'student-1', topic_ids: ['rust-basics'] }],
      ['/api/v1/predictions/next-week', { student_id: 'student-1', topic_ids: ['rust-basics'] }],
      ['/api/v1/recommendations/learning-path', { student_id: 'student-1', target_topic_id: 'rust-basics' }],
      ['/api/v1/analytics/mastery-history', { student_id: 'student-1', topic_id: 'rust-basics', from: '2026-01-01', to: '2026-01-20', granularity: 'daily' }],
    ] as const;
    for (const [path, body] of asks) expect([path, (await call('POST', path, { body, headers: admin })).status]).toEqual([path, 400]);
    const doc = await shipped(call);
    doc.topics.push({ topic_id: 'rust-basics', title: 'Rust basics', lessons: ['rust-basics.hello'], prerequisites: ['python-basics'] });
    expect((await call('PUT', '/api/v1/curriculum', { body: doc, headers: { ...admin, 'if-match': '"0"' } })).status).toBe(200);
    for (const [path, body] of asks) expect([path, (await call('POST', path, { body, headers: admin })).status]).toEqual([path, 200]);
    const path = await call('POST', '/api/v1/recommendations/learning-path', { body: { student_id: 'student-1', target_topic_id: 'rust-basics' }, headers: admin });
    expect(path.json.steps.map((s: { topic_id: string }) => s.topic_id)).toEqual(['python-basics', 'rust-basics']);
  });
});
