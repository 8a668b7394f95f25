import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, testApp } from '../support/http';

/** The example statements of docs/xapi.md, as written there. */
const examples: Record<string, any>[] = [...readFileSync(join(import.meta.dir, '..', '..', 'docs', 'xapi.md'), 'utf8').matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!));

const statement = (overrides: Record<string, unknown> = {}) => ({
  id: crypto.randomUUID(),
  actor: { objectType: 'Agent', account: { homePage: 'https://lms.example.org', name: 'student-1' } },
  verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
  object: { objectType: 'Activity', id: 'https://lms.example.org/xapi/topics/python-basics/lessons/python-basics.variables' },
  timestamp: '2026-01-20T10:00:00Z',
  ...overrides,
});

const post = async (call: ReturnType<typeof testApp>['call'], body: unknown, headers: Record<string, string> = {}) =>
  call('POST', '/api/v1/xapi/statements', { body, headers: { ...(await bearer('service', 'lms')), ...headers } });

describe('POST /api/v1/xapi/statements', () => {
  test("docs/xapi.md's three example statements are applied as documented, and resending them changes nothing", async () => {
    expect(examples).toHaveLength(3);
    const { call } = testApp();
    const first = await post(call, examples, { 'x-experience-api-version': '2.0.0' });
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ received: 3, applied: 3, duplicate: 0, discarded: 0, rejected: 0 });
    expect(first.json.results.map((r: any) => [r.statement_id, r.event_type, r.status])).toEqual([
      ['3b4f0a6e-7c1d-4e0b-9a57-1f6d2c8e9b01', 'lesson.completed', 'applied'],
      ['8d2e5c1a-0f43-4b7e-8c9d-2a6b4e1f7c02', 'quiz.completed', 'applied'],
      ['c7a9e3f2-5b6d-4c8e-9f01-3d4e5f6a7b03', 'practice.session', 'applied'],
    ]);
    const again = await post(call, examples);
    expect(again.json).toMatchObject({ applied: 0, duplicate: 3 });

    const mastery = await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1' }, headers: await bearer('student', 'student-1') });
    const topics = Object.fromEntries(mastery.json.topics.map((t: any) => [t.topic_id, t]));
    expect(topics['python-basics'].components.completion).toBeCloseTo(1 / 5, 4);
    expect(topics['functions'].components.quiz).toBeCloseTo(0.85, 4);
    expect(topics['control-flow'].event_count).toBe(1);
  });

  test('one statement, not in an array, is one result', async () => {
    const { call } = testApp();
    const res = await post(call, statement());
    expect(res.json).toMatchObject({ received: 1, applied: 1, results: [{ index: 0, event_type: 'lesson.completed', status: 'applied' }] });
  });

  test('services and admins may send statements; students and teachers get 403, audited', async () => {
    const { call, auditLog } = testApp();
    expect((await call('POST', '/api/v1/xapi/statements', { body: statement(), headers: await bearer('admin', 'admin-1') })).status).toBe(202);
    for (const [role, sub] of [['student', 'student-1'], ['teacher', 'teacher-1']] as const) {
      const res = await call('POST', '/api/v1/xapi/statements', { body: statement(), headers: await bearer(role, sub) });
      expect(res.status).toBe(403);
    }
    expect((await auditLog.list({ tenantId: 'default' })).filter((e) => e.action === 'xapi.ingest').map((e) => e.outcome)).toEqual(['denied', 'denied']);
    expect((await call('POST', '/api/v1/xapi/statements', { body: statement() })).status).toBe(401);
  });

  test('each statement gets its own outcome: problems are named in the statement’s terms, unmapped ones are discarded', async () => {
    const { call } = testApp();
    const res = await post(call, [
      statement({ actor: { mbox: 'mailto:ada@example.org' } }),
      statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/passed' }, object: { id: 'https://lms.example.org/topics/functions' }, result: { score: { scaled: -0.5 } } }),
      statement({ object: { id: 'https://lms.example.org/courses/42' } }),
      statement({ object: { id: 'https://lms.example.org/topics/python-basics/lessons/not-a-lesson' } }),
      statement({ timestamp: '2030-01-01T00:00:00Z' }),
      statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/launched' } }),
      statement({ id: undefined }),
      statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/scored' }, object: { id: 'https://lms.example.org/topics/functions' }, result: { score: { raw: 3 } } }),
      'not a statement',
      statement(),
    ]);
    expect(res.status).toBe(202);
    const r = res.json.results;
    expect(r[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'actor.account.name', code: 'required' }] });
    expect(r[1]).toMatchObject({ status: 'rejected', errors: [{ field: 'result.score.scaled', code: 'out_of_range' }] });
    expect(r[2]).toMatchObject({ status: 'rejected', errors: [{ field: 'object.id', code: 'unknown_value' }] });
    expect(r[3]).toMatchObject({ status: 'rejected', event_type: 'lesson.completed', errors: [{ field: 'object.id', code: 'unknown_value' }] });
    expect(r[4]).toMatchObject({ status: 'rejected', errors: [{ field: 'timestamp', code: 'in_future' }] });
    expect(r[5]).toMatchObject({ status: 'discarded', reason: 'not_mapped' });
    expect(r[5].message).toContain('launched');
    expect(r[6]).toMatchObject({ status: 'rejected', errors: [{ field: 'id', code: 'required' }] });
    expect(r[7]).toMatchObject({ status: 'rejected', errors: [{ field: 'result.score', code: 'invalid_format' }] });
    expect(r[8]).toMatchObject({ status: 'rejected', errors: [{ field: '', code: 'invalid_type' }] });
    expect(r[9]).toMatchObject({ status: 'applied' });
    expect(res.json).toMatchObject({ received: 10, applied: 1, discarded: 1, rejected: 8 });
  });

  test('the code-quality verb and extension are settings', async () => {
    const { call } = testApp({ xapi: { codeQualityVerb: 'https://lms.example.org/verbs/reviewed', codeQualityExtension: 'https://lms.example.org/ext/quality' } });
    const res = await post(call, [
      statement({ verb: { id: 'https://lms.example.org/verbs/reviewed' }, object: { id: 'https://lms.example.org/topics/functions' }, result: { extensions: { 'https://lms.example.org/ext/quality': 0.7 } } }),
      statement({ verb: { id: 'https://lms.example.org/verbs/reviewed' }, object: { id: 'https://lms.example.org/topics/functions' }, result: { extensions: { 'https://lms.example.org/ext/quality': 7 } } }),
      statement({ verb: { id: 'https://learnflow.example/xapi/verbs/code-assessed' }, object: { id: 'https://lms.example.org/topics/functions' }, result: { extensions: { 'https://learnflow.example/xapi/extensions/code-quality': 0.7 } } }),
    ]);
    expect(res.json.results[0]).toMatchObject({ status: 'applied', event_type: 'code.assessed' });
    expect(res.json.results[1]).toMatchObject({ status: 'rejected', errors: [{ field: 'result.extensions["https://lms.example.org/ext/quality"]', code: 'out_of_range' }] });
    // The default verb is just another verb once a platform names its own.
    expect(res.json.results[2]).toMatchObject({ status: 'discarded', reason: 'not_mapped' });
  });

  test("the curriculum's activities table maps a platform's own IRIs", async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const quiz = 'https://moodle.example.org/mod/quiz/view.php?id=42';
    expect((await post(call, statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/scored' }, object: { id: quiz }, result: { score: { scaled: 0.6 } } }))).json.results[0].status).toBe('rejected');
    const { topics } = (await call('GET', '/api/v1/curriculum', { headers: admin })).json;
    const put = await call('PUT', '/api/v1/curriculum', { body: { version: 0, topics, activities: [{ iri: quiz, topic_id: 'functions' }] }, headers: admin });
    expect(put.status).toBe(200);
    expect(put.json.activities).toEqual([{ iri: quiz, topic_id: 'functions' }]);
    const res = await post(call, statement({ verb: { id: 'http://adlnet.gov/expapi/verbs/scored' }, object: { id: quiz }, result: { score: { scaled: 0.6 } } }));
    expect(res.json.results[0]).toMatchObject({ status: 'applied', event_type: 'quiz.completed' });
  });

  test('an unsupported X-Experience-API-Version is a 400', async () => {
    const { call } = testApp();
    const res = await post(call, statement(), { 'x-experience-api-version': '0.95' });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].field).toBe('X-Experience-API-Version');
  });
});
