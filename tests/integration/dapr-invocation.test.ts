import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startDaprd, type RunningDaprd } from '../support/daprd';
import { AUDIENCE, ISSUER, SECRET, token } from '../support/http';
import { startService, type RunningService } from '../support/service-process';
import { uniqueId } from '../support/services';

/**
 * Service invocation as another LearnFlow service makes it: through a real daprd sidecar, which
 * passes the caller's Bearer token on and adds the app token, to the real service process.
 */
const APP_TOKEN = 'dapr-app-token-for-the-sidecar-tests-0123456789';
const SERVICE_ENV = { APP_ENV: 'test', STATE_BACKEND: 'memory', JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, PSEUDONYM_KEY: 'p'.repeat(32) };

let service: RunningService;
let sidecar: RunningDaprd;

beforeAll(async () => {
  // No KAFKA_BROKERS: the embedded start, the way a sidecar sees it in development.
  service = await startService({ ...SERVICE_ENV, APP_API_TOKEN: APP_TOKEN });
  sidecar = await startDaprd({ appPort: Number(new URL(service.url).port), appApiToken: APP_TOKEN });
}, 300_000);

afterAll(async () => {
  await sidecar?.stop();
  await service?.stop();
});

const auth = async (role: string, sub: string) => ({ authorization: `Bearer ${await token({ role, sub })}` });

/** POST :<dapr-http-port>/v1.0/invoke/mastery-engine/method/process, as a caller's code does. */
async function viaSidecar(intent: string, payload: unknown, headers: Record<string, string> = {}, through: RunningDaprd = sidecar) {
  const res = await fetch(`${through.url}/v1.0/invoke/mastery-engine/method/process`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ intent, payload, context: { correlation_id: uniqueId('corr') } }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const quiz = (student: string, topic: string, score: number, at = new Date(Date.now() - 3600_000).toISOString()) => ({
  event_id: uniqueId('e'),
  event_type: 'quiz.completed',
  student_id: student,
  topic_id: topic,
  occurred_at: at,
  data: { quiz_id: uniqueId('q'), score },
});

describe('every intent through a real Dapr sidecar', () => {
  const student = uniqueId('student');

  test('ingest_events applies the events (202); mastery_query and mastery_calculation read them back', async () => {
    const service_ = await auth('service', 'platform');
    const ingested = await viaSidecar('ingest_events', { events: [quiz(student, 'python-basics', 0.9), quiz(student, 'oop', 0.4)] }, service_);
    expect([ingested.status, ingested.json.success, ingested.json.data.applied]).toEqual([202, true, 2]);

    const me = await auth('student', student);
    const read = await viaSidecar('mastery_query', { student_id: student }, me);
    expect([read.status, read.json.success]).toEqual([200, true]);
    expect(read.json.data.topics.map((t: { topic_id: string; event_count: number }) => [t.topic_id, t.event_count])).toEqual([
      ['oop', 1],
      ['python-basics', 1],
    ]);
    const byCalc = await viaSidecar('mastery_calculation', { student_id: student, topic_ids: ['oop'] }, me);
    expect(byCalc.json.data.topics).toEqual([read.json.data.topics[0]]);
    const computed = await viaSidecar('mastery_calculation', { components: { completion: 1, quiz: 1, quality: 1, consistency: 1 } }, me);
    expect([computed.status, computed.json.data.mastery_score, computed.json.data.level]).toEqual([200, 1, 'mastered']);
  });

  test('get_prediction and generate_path answer for the student', async () => {
    const me = await auth('student', student);
    const week = await viaSidecar('get_prediction', { student_id: student }, me);
    expect([week.status, week.json.data.student_id]).toEqual([200, student]);
    expect(week.json.data.topics.length).toBeGreaterThan(0);
    const days = await viaSidecar('get_prediction', { student_id: student, horizon_days: 5 }, me);
    expect([days.status, days.json.data.points.length]).toEqual([200, 5]);
    const path = await viaSidecar('generate_path', { student_id: student, target_topic_id: 'oop' }, me);
    expect([path.status, path.json.data.target_topic_id]).toEqual([200, 'oop']);
    expect(path.json.data.steps.length).toBeGreaterThan(0);
  });

  test('analytics_query: a history, and a comparison of a cohort that does not exist (not_found 404)', async () => {
    const admin = await auth('admin', 'admin-1');
    const today = new Date().toISOString().slice(0, 10);
    const history = await viaSidecar('analytics_query', { type: 'history', student_id: student, from: today, to: today, granularity: 'daily' }, admin);
    expect([history.status, history.json.data.points.length]).toEqual([200, 1]);
    const compare = await viaSidecar('analytics_query', { type: 'compare', cohort_id: uniqueId('cohort') }, admin);
    expect([compare.status, compare.json.error.code]).toEqual([404, 'not_found']);
  });

  test('batch_process: queued once the batch route is served, not_implemented (501) until then', async () => {
    const doc = (await (await fetch(`${service.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    const res = await viaSidecar('batch_process', { student_ids: [student], priority: 'low' }, await auth('admin', 'admin-1'));
    if (doc.paths['/api/v1/batch/mastery']) {
      expect([res.status, res.json.data.status, res.json.data.total]).toEqual([202, 'queued', 1]);
    } else {
      expect([res.status, res.json.error.code]).toEqual([501, 'not_implemented']);
    }
  });

  test('forbidden 403: a student asking about another student', async () => {
    const res = await viaSidecar('mastery_query', { student_id: student }, await auth('student', uniqueId('other')));
    expect([res.status, res.json.success, res.json.error.code]).toEqual([403, false, 'forbidden']);
  });

  test('unauthenticated 401 without a Bearer token, and validation_error 400 for a payload the route refuses', async () => {
    const res = await viaSidecar('mastery_query', { student_id: student });
    expect([res.status, res.json.error.code]).toEqual([401, 'unauthenticated']);
    const bad = await viaSidecar('mastery_query', { student_id: 'not an id!' }, await auth('student', student));
    expect([bad.status, bad.json.error.code, bad.json.error.details[0].field]).toEqual([400, 'validation_error', 'payload.student_id']);
    const unknown = await viaSidecar('mastery_forget', {}, await auth('student', student));
    expect([unknown.status, unknown.json.error.code]).toEqual([400, 'unknown_intent']);
  });

  test('a caller app invokes through its own sidecar: caller app id and trace reach the metadata and the service log', async () => {
    // Two more sidecars, found by Dapr's mDNS name resolution: the callee under an id of this run
    // (other runs on the machine announce "mastery-engine" too), the caller as another service.
    const calleeId = uniqueId('mastery-engine');
    const callerId = uniqueId('learnflow-tutor');
    const callee = await startDaprd({ appId: calleeId, appPort: Number(new URL(service.url).port), appApiToken: APP_TOKEN });
    const caller = await startDaprd({ appId: callerId });
    try {
      const traceId = crypto.randomUUID().replaceAll('-', '');
      const res = await fetch(`${caller.url}/v1.0/invoke/${calleeId}/method/process`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await auth('student', student)), traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        body: JSON.stringify({ intent: 'mastery_query', payload: { student_id: student } }),
      });
      const body = (await res.json()) as any;
      expect([res.status, body.success, body.data.student_id]).toEqual([200, true, student]);
      expect(body.metadata).toMatchObject({ intent: 'mastery_query', caller_app_id: callerId });
      expect(body.metadata.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      await Bun.sleep(50);
      const line = service.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'invocation' && l.request_id === body.metadata.request_id);
      expect(line).toMatchObject({ intent: 'mastery_query', caller_app_id: callerId, traceparent: body.metadata.traceparent, status: 200 });
    } finally {
      await Promise.all([caller.stop(), callee.stop()]);
    }
  });
});

describe('the app token between sidecar and app', () => {
  test('a caller that goes around the sidecar, or a sidecar without the token, gets 401', async () => {
    const me = await auth('student', 'student-1');
    const direct = await fetch(`${service.url}/process`, { method: 'POST', headers: { 'content-type': 'application/json', ...me }, body: JSON.stringify({ intent: 'mastery_query', payload: { student_id: 'student-1' } }) });
    expect([direct.status, ((await direct.json()) as any).error.code]).toEqual([401, 'unauthenticated']);

    const tokenless = await startDaprd({ appPort: Number(new URL(service.url).port) });
    try {
      const res = await viaSidecar('mastery_query', { student_id: 'student-1' }, me, tokenless);
      expect([res.status, res.json.error.code, res.json.error.message]).toEqual([401, 'unauthenticated', 'the dapr-api-token header is missing or wrong']);
    } finally {
      await tokenless.stop();
    }
  });
});

describe('without Dapr', () => {
  test('the Kafka-free embedded start serves /process and the REST API with no sidecar and no app token', async () => {
    const plain = await startService(SERVICE_ENV);
    try {
      expect((await fetch(`${plain.url}/ready`)).status).toBe(200);
      const res = await fetch(`${plain.url}/api/v1/process`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await auth('student', 'student-1')) },
        body: JSON.stringify({ intent: 'mastery_query', payload: { student_id: 'student-1' } }),
      });
      const body = (await res.json()) as any;
      expect([res.status, body.success, body.data.student_id, body.metadata.caller_app_id]).toEqual([200, true, 'student-1', null]);
    } finally {
      await plain.stop();
    }
  });
});
