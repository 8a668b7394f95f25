import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { ExportSchema } from '../../src/adapters/http/compliance.routes';
import { EXPORT_AUDIT_PAGE } from '../../src/domain/compliance/compliance';
import { bearer, event, NOW, testApp } from '../support/http';
import { testPseudonymize } from '../support/stores';

async function withStudentData(t = testApp()) {
  const service = await bearer('service', 'platform');
  await t.call('POST', '/api/v1/events', {
    body: [
      event({ event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' }, occurred_at: '2026-01-19T10:00:00Z' }),
      event({ data: { quiz_id: 'q1', score: 0.7 }, occurred_at: '2026-01-20T09:00:00Z' }),
      event({ student_id: 'student-2', data: { quiz_id: 'q1', score: 0.4 } }),
    ],
    headers: service,
  });
  await t.call('POST', '/api/v1/cohorts', {
    body: { cohort_id: 'c1', name: 'Monday', teacher_ids: ['teacher-1'], student_ids: ['student-1', 'student-2'] },
    headers: await bearer('admin', 'admin-1'),
  });
  return t;
}

describe('GDPR export', () => {
  test('a student exports everything held about them, in the documented schema', async () => {
    const { call } = await withStudentData();
    const me = await bearer('student', 'student-1');
    await call('GET', '/api/v1/students/student-1/mastery', { headers: me });
    const res = await call('GET', '/api/v1/compliance/export/student-1', { headers: me });
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc).toMatchObject({ format_version: '1.1', tenant_id: 'default', student_id: 'student-1', cohorts: [{ cohort_id: 'c1', name: 'Monday' }] });
    expect(doc.mastery.topics[0].topic_id).toBe('python-basics');
    expect(doc.state['python-basics']).toMatchObject({ lessons_completed: ['python-basics.intro'], event_count: 2, active_days: ['2026-01-19', '2026-01-20'] });
    expect(doc.history.map((h: { day: string }) => h.day)).toEqual(['2026-01-19', '2026-01-20']);
    expect(doc.consent).toEqual({ analytics: true, updated_at: null, source: 'default' });
    // The audit entries about the student: the read above, by pseudonym only.
    expect(doc.audit.map((a: { action: string }) => a.action)).toContain('mastery.read');
    expect(JSON.stringify(doc.audit)).not.toContain('student-1');
    expect(doc.audit[0].target).toBe(testPseudonymize('default', 'student-1'));
  });

  test('a student with years of audit entries gets them all, oldest first, read a page at a time', async () => {
    const { call, auditLog } = await withStudentData();
    const me = testPseudonymize('default', 'student-1');
    for (let i = 0; i < 25; i++) {
      const at = Date.parse('2026-01-01T00:00:00Z') + i;
      await auditLog.append('default', Array.from({ length: 100 }, (_, j) => ({ actor: 'admin:admin-1', action: 'mastery.read', target: j % 2 ? me : 'other', requestId: `r${i}-${j}`, outcome: 'success' as const, at })));
    }
    const list = auditLog.list.bind(auditLog);
    const aboutMe = (await list({ tenantId: 'default', target: me })).map((r) => r.seq);
    expect(aboutMe.length).toBeGreaterThan(2 * EXPORT_AUDIT_PAGE);
    let largestRead = 0;
    auditLog.list = async (q) => {
      const page = await list(q);
      largestRead = Math.max(largestRead, page.length);
      return page;
    };
    const res = await call('GET', '/api/v1/compliance/export/student-1', { headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toStartWith('application/json');
    expect(Value.Check(ExportSchema, res.json)).toBe(true);
    expect(res.json.audit.map((a: { seq: number }) => a.seq)).toEqual(aboutMe);
    expect(largestRead).toBeLessThanOrEqual(EXPORT_AUDIT_PAGE);
    // The export is audited once the document is complete.
    expect((await list({ tenantId: 'default', target: me })).at(-1)).toMatchObject({ action: 'gdpr.export', outcome: 'success' });
  });

  test('an export the client abandons half-way is audited as a failure', async () => {
    const t = await withStudentData();
    const me = testPseudonymize('default', 'student-1');
    await t.auditLog.append('default', Array.from({ length: 3 * EXPORT_AUDIT_PAGE }, (_, i) => ({ actor: 'system', action: 'mastery.read', target: me, requestId: `r${i}`, outcome: 'success' as const, at: NOW })));
    const res = await t.app.handle(new Request('http://localhost/api/v1/compliance/export/student-1', { headers: await bearer('student', 'student-1') }));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await Bun.sleep(20);
    const exports = (await t.auditLog.list({ tenantId: 'default', target: me })).filter((r) => r.action === 'gdpr.export');
    expect(exports.map((r) => r.outcome)).toEqual(['failure']);
  });

  test('docs/export.schema.json is the schema the route answers with', () => {
    expect(JSON.parse(readFileSync('docs/export.schema.json', 'utf8'))).toEqual(JSON.parse(JSON.stringify(ExportSchema)));
  });

  test.each([
    ['a student, another student', 403, 'student', 'student-1'],
    ['a teacher, a student of their cohort', 403, 'teacher', 'teacher-1'],
    ['a service', 403, 'service', 'platform'],
    ['an admin, anyone in the tenant', 200, 'admin', 'admin-1'],
  ] as const)('%s → %d', async (_who, status, role, sub) => {
    const { call } = await withStudentData();
    expect((await call('GET', '/api/v1/compliance/export/student-2', { headers: await bearer(role, sub) })).status).toBe(status);
  });
});

describe('GDPR erasure', () => {
  test('removes state, history, consent and roster membership, is idempotent and writes one audit entry per call', async () => {
    const { call, auditLog } = await withStudentData();
    const me = await bearer('student', 'student-1');
    await call('PUT', '/api/v1/compliance/consent/student-1', { body: { analytics: true }, headers: me });
    const first = await call('DELETE', '/api/v1/compliance/student/student-1', { headers: me });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ student_id: 'student-1', status: 'erased' });
    expect((await call('DELETE', '/api/v1/compliance/student/student-1', { headers: me })).status).toBe(200);
    const after = (await call('GET', '/api/v1/compliance/export/student-1', { headers: me })).json;
    expect(after).toMatchObject({ state: {}, history: [], cohorts: [], consent: { source: 'default' }, mastery: { topics: [] } });
    const roster = (await call('GET', '/api/v1/cohorts/c1', { headers: await bearer('admin', 'admin-1') })).json;
    expect(roster.student_ids).toEqual(['student-2']);
    const erasures = (await auditLog.list({ tenantId: 'default' })).filter((r) => r.action === 'gdpr.erase');
    expect(erasures.map((r) => r.outcome)).toEqual(['success', 'success']);
  });

  test('redelivering the old events through the ingest path brings nothing back', async () => {
    const t = testApp();
    const service = await bearer('service', 'platform');
    const old = [event({ occurred_at: '2026-01-19T10:00:00Z' }), event({ occurred_at: '2026-01-20T11:00:00Z' })];
    await t.call('POST', '/api/v1/events', { body: old, headers: service });
    await t.call('DELETE', '/api/v1/compliance/student/student-1', { headers: await bearer('admin', 'admin-1') });
    const again = await t.call('POST', '/api/v1/events', { body: old, headers: service });
    expect(again.json.results.map((r: { status: string; reason?: string }) => [r.status, r.reason])).toEqual([
      ['discarded', 'erased'],
      ['discarded', 'erased'],
    ]);
    expect((await t.deps.engine.store.listTopics({ tenantId: 'default', studentId: 'student-1' })).size).toBe(0);
    // Activity after the erasure is new data.
    t.clock.advance(60_000);
    const later = await t.call('POST', '/api/v1/events', { body: event({ occurred_at: new Date(t.clock.now()).toISOString() }), headers: service });
    expect(later.json.applied).toBe(1);
  });

  test.each([
    ['student', 'student-2', 403],
    ['teacher', 'teacher-1', 403],
    ['service', 'platform', 403],
  ] as const)('a %s may not erase student-1', async (role, sub, status) => {
    const { call } = await withStudentData();
    expect((await call('DELETE', '/api/v1/compliance/student/student-1', { headers: await bearer(role, sub) })).status).toBe(status);
  });
});

describe('consent', () => {
  test('defaults to the deployment setting, and a withdrawal stops processing (counted, not stored)', async () => {
    const { call, deps } = testApp();
    const me = await bearer('student', 'student-1');
    expect((await call('GET', '/api/v1/compliance/consent/student-1', { headers: me })).json).toEqual({ analytics: true, updated_at: null, source: 'default' });
    const put = await call('PUT', '/api/v1/compliance/consent/student-1', { body: { analytics: false }, headers: me });
    expect(put.json).toMatchObject({ analytics: false, source: 'recorded' });
    expect(put.json.updated_at).toBe('2026-01-20T12:00:00.000Z');
    const res = await call('POST', '/api/v1/events', { body: event(), headers: await bearer('service', 'platform') });
    expect(res.json.results[0]).toMatchObject({ status: 'discarded', reason: 'no_consent' });
    expect((await deps.engine.store.listTopics({ tenantId: 'default', studentId: 'student-1' })).size).toBe(0);
    expect((await call('GET', '/metrics')).text).toContain('events_ingested_total{source="http",type="quiz.completed",outcome="discarded"} 1');
    await call('PUT', '/api/v1/compliance/consent/student-1', { body: { analytics: true }, headers: me });
    expect((await call('POST', '/api/v1/events', { body: event(), headers: await bearer('service', 'platform') })).json.applied).toBe(1);
  });

  test('only the student or an admin reads or changes it', async () => {
    const { call } = testApp();
    expect((await call('GET', '/api/v1/compliance/consent/student-1', { headers: await bearer('student', 'student-2') })).status).toBe(403);
    expect((await call('PUT', '/api/v1/compliance/consent/student-1', { body: { analytics: false }, headers: await bearer('teacher', 'teacher-1') })).status).toBe(403);
    expect((await call('PUT', '/api/v1/compliance/consent/student-1', { body: { analytics: false }, headers: await bearer('admin', 'admin-1') })).status).toBe(200);
    expect((await call('PUT', '/api/v1/compliance/consent/student-1', { body: { analytics: 'no' }, headers: await bearer('admin', 'admin-1') })).status).toBe(400);
  });
});

describe('the audit log', () => {
  test('records reads, refusals, authentication failures and admin actions, with pseudonymous targets', async () => {
    const { call, auditLog } = await withStudentData();
    await call('GET', '/api/v1/students/student-1/mastery', { headers: await bearer('student', 'student-1') });
    await call('GET', '/api/v1/students/student-2/mastery', { headers: await bearer('student', 'student-1') });
    await call('GET', '/api/v1/cohorts', { headers: { authorization: 'Bearer nonsense' } });
    await Bun.sleep(20);
    const entries = await auditLog.list({ tenantId: 'default' });
    const summary = entries.map((e) => `${e.action}:${e.outcome}`);
    expect(summary).toContain('cohort.write:success');
    expect(summary).toContain('mastery.read:success');
    expect(summary).toContain('mastery.read:denied');
    const anonymous = await auditLog.list({ tenantId: '_anonymous' });
    expect(anonymous.map((e) => [e.actor, e.action, e.outcome])).toEqual([['anonymous', 'auth.denied', 'denied']]);
    const denied = entries.find((e) => e.outcome === 'denied')!;
    expect(denied.target).toBe(testPseudonymize('default', 'student-2'));
    expect(denied.actor).toBe(`student:${testPseudonymize('default', 'student-1')}`);
    expect(JSON.stringify(entries)).not.toMatch(/student-[12]/);
  });

  test('admins list it and verify it; others are refused', async () => {
    const { call } = await withStudentData();
    const admin = await bearer('admin', 'admin-1');
    const list = await call('GET', '/api/v1/compliance/audit?limit=10', { headers: admin });
    expect(list.status).toBe(200);
    expect(list.json.entries[0]).toMatchObject({ seq: 0, action: 'cohort.write', actor: 'admin:admin-1', outcome: 'success' });
    expect(list.json.entries[0].prev_hash).toBe('0'.repeat(64));
    const verify = await call('GET', '/api/v1/compliance/audit/verify', { headers: admin });
    expect(verify.json).toMatchObject({ intact: true, first_broken_position: null });
    expect((await call('GET', '/api/v1/compliance/audit', { headers: await bearer('teacher', 'teacher-1') })).status).toBe(403);
    expect((await call('GET', '/api/v1/compliance/audit/verify', { headers: await bearer('service', 'platform') })).status).toBe(403);
  });

  test('verify reports where a tampered log breaks', async () => {
    const { call, auditLog } = await withStudentData();
    const admin = await bearer('admin', 'admin-1');
    for (let i = 0; i < 5; i++) await call('GET', '/api/v1/students/student-1/mastery', { headers: admin });
    await Bun.sleep(20);
    auditLog.rawRecords('default')[3]!.actor = 'admin:someone-else';
    const verify = await call('GET', '/api/v1/compliance/audit/verify', { headers: admin });
    expect(verify.json).toMatchObject({ intact: false, first_broken_position: 3 });
  });

  test('verify runs in calls of at most `limit` entries, each continuing from the cursor of the one before', async () => {
    const { call, auditLog } = await withStudentData();
    const admin = await bearer('admin', 'admin-1');
    await auditLog.append('default', Array.from({ length: 40 }, (_, i) => ({ actor: 'system', action: 'mastery.read', target: null, requestId: `r${i}`, outcome: 'success' as const, at: NOW })));
    const run = async () => {
      const calls = [];
      let cursor: string | null = null;
      do {
        const res = await call('GET', `/api/v1/compliance/audit/verify?limit=10${cursor ? `&cursor=${cursor}` : ''}`, { headers: admin });
        expect(res.status).toBe(200);
        calls.push(res.json);
        cursor = res.json.next_cursor;
      } while (cursor);
      return calls;
    };
    const intact = await run();
    expect(intact.every((c) => c.intact && c.checked <= 10)).toBe(true);
    expect(intact.at(-1)).toMatchObject({ next_cursor: null, first_broken_position: null });
    // Each call's own audit entry lands after the head it read: the next run checks it.
    expect(intact.at(-1).length).toBeGreaterThanOrEqual(41);
    auditLog.rawRecords('default')[25]!.requestId = 'forged';
    const tampered = await run();
    expect(tampered.at(-1)).toMatchObject({ intact: false, first_broken_position: 25, next_cursor: null });
    expect(tampered.length).toBe(3);
  });

  test('verify refuses a cursor it did not issue the shape of', async () => {
    const { call } = await withStudentData();
    const res = await call('GET', '/api/v1/compliance/audit/verify?cursor=not-a-cursor', { headers: await bearer('admin', 'admin-1') });
    expect(res.status).toBe(400);
  });
});
