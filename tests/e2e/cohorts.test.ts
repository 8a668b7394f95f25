import { describe, expect, test } from 'bun:test';
import { bearer, testApp } from '../support/http';

const body = { cohort_id: 'c1', name: 'Monday group', teacher_ids: ['teacher-1'], student_ids: ['student-1', 'student-2'] };

describe('cohorts', () => {
  test('an admin creates, reads, lists and replaces a cohort', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const created = await call('POST', '/api/v1/cohorts', { body, headers: admin });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/v1/cohorts/c1');
    expect(created.json).toEqual(body);
    expect((await call('GET', '/api/v1/cohorts/c1', { headers: admin })).json).toEqual(body);
    const replaced = await call('PUT', '/api/v1/cohorts/c1', { body: { name: 'Renamed', teacher_ids: [], student_ids: ['student-3'] }, headers: admin });
    expect(replaced.status).toBe(200);
    expect((await call('GET', '/api/v1/cohorts', { headers: admin })).json).toEqual({ cohorts: [{ cohort_id: 'c1', name: 'Renamed', teacher_ids: [], student_ids: ['student-3'] }] });
  });

  test('a roster read before an erasure cannot put the erased student back: 409, nothing written', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    await call('POST', '/api/v1/cohorts', { body, headers: admin });
    const { cohort_id: _id, ...stale } = (await call('GET', '/api/v1/cohorts/c1', { headers: admin })).json;
    expect((await call('DELETE', '/api/v1/compliance/student/student-1', { headers: await bearer('student', 'student-1') })).status).toBe(200);
    const put = await call('PUT', '/api/v1/cohorts/c1', { body: { ...stale, name: 'Renamed' }, headers: admin });
    expect(put.status).toBe(409);
    expect(put.json.error.details).toEqual([{ field: 'student_ids', code: 'erased', message: 'student-1 was erased and cannot be added back yet' }]);
    expect((await call('GET', '/api/v1/cohorts/c1', { headers: admin })).json).toEqual({ ...body, student_ids: ['student-2'] });
  });

  test('PUT creates a missing cohort (201) and POST refuses an existing id (409)', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const { cohort_id: _id, ...rest } = body;
    expect((await call('PUT', '/api/v1/cohorts/c2', { body: rest, headers: admin })).status).toBe(201);
    await call('POST', '/api/v1/cohorts', { body, headers: admin });
    const again = await call('POST', '/api/v1/cohorts', { body, headers: admin });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('conflict');
  });

  test('teachers see only the cohorts they teach; other cohorts answer 404', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    await call('POST', '/api/v1/cohorts', { body, headers: admin });
    await call('POST', '/api/v1/cohorts', { body: { ...body, cohort_id: 'c2', teacher_ids: ['teacher-2'] }, headers: admin });
    const teacher = await bearer('teacher', 'teacher-1');
    expect((await call('GET', '/api/v1/cohorts', { headers: teacher })).json.cohorts.map((c: { cohort_id: string }) => c.cohort_id)).toEqual(['c1']);
    expect((await call('GET', '/api/v1/cohorts/c1', { headers: teacher })).status).toBe(200);
    expect((await call('GET', '/api/v1/cohorts/c2', { headers: teacher })).status).toBe(404);
    expect((await call('GET', '/api/v1/cohorts/none', { headers: teacher })).status).toBe(404);
  });

  test.each([
    ['teacher', 'POST'],
    ['teacher', 'PUT'],
    ['student', 'POST'],
    ['service', 'PUT'],
  ] as const)('a %s may not %s cohorts', async (role, method) => {
    const { call } = testApp();
    const path = method === 'POST' ? '/api/v1/cohorts' : '/api/v1/cohorts/c1';
    const { cohort_id: _id, ...rest } = body;
    const res = await call(method, path, { body: method === 'POST' ? body : rest, headers: await bearer(role, `${role}-1`) });
    expect(res.status).toBe(403);
  });

  test('students may not list cohorts', async () => {
    const { call } = testApp();
    expect((await call('GET', '/api/v1/cohorts', { headers: await bearer('student', 'student-1') })).status).toBe(403);
  });

  test('member ids must be valid and unique', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    expect((await call('POST', '/api/v1/cohorts', { body: { ...body, student_ids: ['<script>'] }, headers: admin })).status).toBe(400);
    expect((await call('POST', '/api/v1/cohorts', { body: { ...body, student_ids: ['a', 'a'] }, headers: admin })).status).toBe(400);
    expect((await call('POST', '/api/v1/cohorts', { body: { ...body, extra: 1 }, headers: admin })).status).toBe(400);
  });
});
