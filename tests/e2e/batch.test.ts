import { describe, expect, test } from 'bun:test';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import type { MasteryUpdate, MasteryUpdates } from '../../src/ports/mastery-updates.port';
import { bearer, event, testApp } from '../support/http';

type Harness = ReturnType<typeof testApp>;

/** Polls the batch until it is finished (the in-process queue works in the background). */
async function finished(h: Harness, id: string, headers: Record<string, string>) {
  for (let i = 0; i < 200; i++) {
    const r = await h.call('GET', `/api/v1/batch/${id}`, { headers });
    if (!['queued', 'running'].includes(r.json.status)) return r.json;
    await Bun.sleep(5);
  }
  throw new Error(`batch ${id} did not finish`);
}

async function seed(h: Harness, students: string[]) {
  const service = await bearer('service', 'svc');
  for (const s of students) {
    const r = await h.call('POST', '/api/v1/events', { body: event({ student_id: s, occurred_at: '2026-01-20T10:00:00Z' }), headers: service });
    expect(r.json.applied).toBe(1);
  }
}

describe('batch recalculation over HTTP', () => {
  test('an admin submits ids (repeats counted once), gets 202 and a status URL, and the batch completes with results and errors', async () => {
    const h = testApp();
    await seed(h, ['s1', 's2', 's3', 's4']);
    const admin = await bearer('admin', 'admin-1');
    const r = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1', 's2', 's2', 's3', 's4', 'ghost'], priority: 'high' }, headers: admin });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ status: 'queued', priority: 'high', total: 5, status_url: `/api/v1/batch/${r.json.batch_id}` });
    const done = await finished(h, r.json.batch_id, admin);
    expect(done).toMatchObject({ status: 'completed_with_errors', total: 5, processed: 5, succeeded: 4, failed: 1, errors: [{ code: 'unknown_student', count: 1, student_ids: ['ghost'] }] });
    expect(done.started_at).not.toBeNull();
    expect(done.finished_at).not.toBeNull();
    const page1 = await h.call('GET', `/api/v1/batch/${r.json.batch_id}/results?limit=3`, { headers: admin });
    expect(page1.status).toBe(200);
    expect(page1.json.items).toHaveLength(3);
    const page2 = await h.call('GET', `/api/v1/batch/${r.json.batch_id}/results?limit=3&cursor=${page1.json.next_cursor}`, { headers: admin });
    expect(page2.json.next_cursor).toBeNull();
    const all = [...page1.json.items, ...page2.json.items];
    expect(all.map((i: { student_id: string }) => i.student_id).sort()).toEqual(['s1', 's2', 's3', 's4']);
    expect(all[0]).toMatchObject({ overall: { level: expect.any(String) }, topics_recalculated: 1 });
    const audit = await h.auditLog.list({ tenantId: 'default' });
    expect(audit.some((a) => a.action === 'batch.submit' && a.outcome === 'success' && a.target === `batch:${r.json.batch_id}`)).toBe(true);
    expect(h.logs.some((l) => l.includes('"batch started"'))).toBe(true);
    expect(h.logs.some((l) => l.includes('"batch finished"') && l.includes('"processed":5'))).toBe(true);
    const metrics = (await h.call('GET', '/metrics')).text;
    expect(metrics).toContain('batch_students_processed_total{outcome="succeeded"} 4');
    expect(metrics).toContain('batch_students_processed_total{outcome="unknown_student"} 1');
    expect(metrics).toContain('batch_finished_total{status="completed_with_errors"} 1');
    expect(metrics).toContain('batch_submitted_total{priority="high"} 1');
    expect(metrics).toMatch(/batch_chunk_duration_seconds_count\{priority="high"\} 2/);
  });

  test('a recalculation days later writes the day snapshot history sees, and a second one the same day changes nothing', async () => {
    const h = testApp();
    await seed(h, ['s1']);
    const admin = await bearer('admin', 'admin-1');
    h.clock.advance(3 * DAY_MS);
    const first = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1'] }, headers: admin });
    expect((await finished(h, first.json.batch_id, admin)).status).toBe('completed');
    const history = await h.deps.engine.store.getHistory({ tenantId: 'default', studentId: 's1' });
    expect(history.map((s) => [s.day, s.recalculated ?? false])).toEqual([
      ['2026-01-20', false],
      ['2026-01-23', true],
    ]);
    const second = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1'] }, headers: admin });
    expect((await finished(h, second.json.batch_id, admin)).status).toBe('completed');
    expect(await h.deps.engine.store.getHistory({ tenantId: 'default', studentId: 's1' })).toEqual(history);
  });

  test('a level that fades with the days is announced once: the day it changed, not on a second run', async () => {
    const published: MasteryUpdate[] = [];
    const updates: MasteryUpdates = { publish: async (u) => void published.push(...u), publishErasure: async (_ref: StudentRef) => {} };
    const h = testApp({ updates });
    const service = await bearer('service', 'svc');
    // quiz 1.0 and code quality 0.48 with one active day: 0.403, developing; without the day, 0.396, novice.
    await h.call('POST', '/api/v1/events', { body: event({ student_id: 's1', data: { quiz_id: 'q1', score: 1 } }), headers: service });
    await h.call('POST', '/api/v1/events', { body: event({ student_id: 's1', event_type: 'code.assessed', data: { submission_id: 'c1', quality_score: 0.48 } }), headers: service });
    published.length = 0;
    const admin = await bearer('admin', 'admin-1');
    h.clock.advance(15 * DAY_MS);
    const first = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1'] }, headers: admin });
    await finished(h, first.json.batch_id, admin);
    expect(published).toEqual([expect.objectContaining({ studentId: 's1', topicId: 'python-basics', level: 'novice', eventId: 'recalculation:2026-02-04' })]);
    const second = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1'] }, headers: admin });
    await finished(h, second.json.batch_id, admin);
    expect(published).toHaveLength(1);
  });

  test('a student who withdrew consent is not processed but counted as no_consent', async () => {
    const h = testApp();
    await seed(h, ['s1', 's2']);
    const consent = await h.call('PUT', '/api/v1/compliance/consent/s2', { body: { analytics: false }, headers: await bearer('student', 's2') });
    expect(consent.status).toBe(200);
    h.clock.advance(DAY_MS);
    const admin = await bearer('admin', 'admin-1');
    const r = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1', 's2'] }, headers: admin });
    const done = await finished(h, r.json.batch_id, admin);
    expect(done).toMatchObject({ status: 'completed_with_errors', succeeded: 1, failed: 1, errors: [{ code: 'no_consent', count: 1, student_ids: ['s2'] }] });
    expect(await h.deps.engine.store.getHistory({ tenantId: 'default', studentId: 's2' })).toHaveLength(1);
  });

  test('an erased student leaves every batch: no result, score or example id of theirs is served; the counts stay', async () => {
    const h = testApp();
    await seed(h, ['s1', 'gone', 'quiet']);
    const admin = await bearer('admin', 'admin-1');
    // `quiet` has data but withdrew consent: a no_consent example until erased.
    await h.call('PUT', '/api/v1/compliance/consent/quiet', { body: { analytics: false }, headers: await bearer('student', 'quiet') });
    const r = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1', 'gone', 'quiet', 'ghost'] }, headers: admin });
    const before = await finished(h, r.json.batch_id, admin);
    const results = async () => (await h.call('GET', `/api/v1/batch/${r.json.batch_id}/results`, { headers: admin })).json.items as { student_id: string; overall: { mastery_score: number } }[];
    const score = (await results()).find((i) => i.student_id === 'gone')!.overall.mastery_score;
    expect(before.errors).toEqual([
      { code: 'no_consent', count: 1, student_ids: ['quiet'] },
      { code: 'unknown_student', count: 1, student_ids: ['ghost'] },
    ]);

    for (const id of ['gone', 'quiet']) expect((await h.call('DELETE', `/api/v1/compliance/student/${id}`, { headers: admin })).status).toBe(200);

    const after = (await h.call('GET', `/api/v1/batch/${r.json.batch_id}`, { headers: admin })).json;
    expect(after).toMatchObject({ status: 'completed_with_errors', total: 4, processed: 4, succeeded: 2, failed: 2 });
    expect(after.errors).toEqual([
      { code: 'no_consent', count: 1, student_ids: [] },
      { code: 'unknown_student', count: 1, student_ids: ['ghost'] },
    ]);
    const items = await results();
    expect(items.map((i) => i.student_id)).toEqual(['s1']);
    expect(JSON.stringify(items)).not.toContain('gone');
    expect(items[0]!.overall.mastery_score).toBeNumber();
    expect(JSON.stringify([after, items])).not.toContain('quiet');
    // The score was there to be erased: the results served it before.
    expect(score).toBeNumber();
  });

  test('validation: exactly one of student_ids and cohort_id, at most 10,000 ids, known topics, a known priority', async () => {
    const h = testApp();
    const admin = await bearer('admin', 'admin-1');
    const post = (body: unknown) => h.call('POST', '/api/v1/batch/mastery', { body, headers: admin });
    expect((await post({})).status).toBe(400);
    expect((await post({ student_ids: ['a'], cohort_id: 'c' })).json.error.code).toBe('validation_failed');
    expect((await post({ student_ids: [] })).status).toBe(400);
    expect((await post({ student_ids: Array.from({ length: 10_001 }, (_, i) => `s${i}`) })).status).toBe(400);
    expect((await post({ student_ids: ['a'], priority: 'urgent' })).status).toBe(400);
    expect((await post({ student_ids: ['bad id'] })).status).toBe(400);
    const unknownTopic = await post({ student_ids: ['a'], topic_ids: ['no-such-topic'] });
    expect(unknownTopic.status).toBe(400);
    expect(unknownTopic.json.error.details[0]).toMatchObject({ field: 'topic_ids', code: 'unknown_value' });
    expect((await post({ cohort_id: 'no-such-cohort' })).status).toBe(404);
    const cursor = await post({ student_ids: ['a'] });
    expect((await h.call('GET', `/api/v1/batch/${cursor.json.batch_id}/results?cursor=xyz`, { headers: admin })).status).toBe(400);
    expect((await h.call('GET', `/api/v1/batch/${cursor.json.batch_id}/results?limit=1001`, { headers: admin })).status).toBe(400);
  });

  test('10,000 ids are accepted in one request', async () => {
    const h = testApp();
    const admin = await bearer('admin', 'admin-1');
    const ids = Array.from({ length: 10_000 }, (_, i) => `student-with-a-longish-id-${i}`);
    const r = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ids, priority: 'low' }, headers: admin });
    expect(r.status).toBe(202);
    expect(r.json.total).toBe(10_000);
    await h.batchQueue.stop();
  });

  test('roles: students are refused; teachers only for their cohorts and see only their batches; another tenant gets 404', async () => {
    const h = testApp();
    const admin = await bearer('admin', 'admin-1');
    await h.call('POST', '/api/v1/cohorts', { body: { cohort_id: 'c1', name: 'C1', teacher_ids: ['t1'], student_ids: ['s1', 's2'] }, headers: admin });
    const student = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1'] }, headers: await bearer('student', 's1') });
    expect(student.status).toBe(403);
    const t1 = await bearer('teacher', 't1');
    const t2 = await bearer('teacher', 't2');
    expect((await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['s1', 's9'] }, headers: t1 })).status).toBe(403);
    expect((await h.call('POST', '/api/v1/batch/mastery', { body: { cohort_id: 'c1' }, headers: t2 })).status).toBe(404);
    const ok = await h.call('POST', '/api/v1/batch/mastery', { body: { cohort_id: 'c1' }, headers: t1 });
    expect(ok.status).toBe(202);
    expect(ok.json.total).toBe(2);
    expect((await h.call('GET', `/api/v1/batch/${ok.json.batch_id}`, { headers: t1 })).status).toBe(200);
    expect((await h.call('GET', `/api/v1/batch/${ok.json.batch_id}`, { headers: t2 })).status).toBe(404);
    expect((await h.call('GET', `/api/v1/batch/${ok.json.batch_id}`, { headers: await bearer('service', 'svc') })).status).toBe(200);
    expect((await h.call('GET', `/api/v1/batch/${ok.json.batch_id}`, { headers: await bearer('admin', 'a', 'other-tenant') })).status).toBe(404);
    expect((await h.call('DELETE', `/api/v1/batch/${ok.json.batch_id}`, { headers: await bearer('admin', 'a', 'other-tenant') })).status).toBe(404);
    const audit = await h.auditLog.list({ tenantId: 'default' });
    expect(audit.some((a) => a.action === 'batch.submit' && a.outcome === 'denied')).toBe(true);
  });

  test('DELETE cancels what has not started; the batch expires after BATCH_TTL_DAYS', async () => {
    const h = testApp();
    const admin = await bearer('admin', 'admin-1');
    await h.batchQueue.stop(); // nothing is processed: every chunk is still waiting
    const r = await h.call('POST', '/api/v1/batch/mastery', { body: { student_ids: ['a', 'b', 'c', 'd'] }, headers: admin });
    const cancelled = await h.call('DELETE', `/api/v1/batch/${r.json.batch_id}`, { headers: admin });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', processed: 0 });
    expect((await h.auditLog.list({ tenantId: 'default' })).some((a) => a.action === 'batch.cancel')).toBe(true);
    h.clock.advance(7 * DAY_MS);
    expect((await h.call('GET', `/api/v1/batch/${r.json.batch_id}`, { headers: admin })).status).toBe(404);
  });
});
