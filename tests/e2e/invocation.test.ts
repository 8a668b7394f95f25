import { describe, expect, test } from 'bun:test';
import { INVOCATION_STATUS } from '../../src/adapters/http/invocation.routes';
import { StoreUnavailableError, type MasteryStore } from '../../src/ports/mastery-store.port';
import { bearer, event, testApp } from '../support/http';

type App = ReturnType<typeof testApp>;
type Headers = Record<string, string>;

const APP_TOKEN = 'dapr-app-token-for-the-e2e-tests-0123456789';

/** What another service sends through its sidecar: an envelope, its own Bearer token passed through. */
const invoke = (call: App['call'], intent: string, payload: unknown, headers: Headers = {}, path = '/process') => call('POST', path, { body: { intent, payload }, headers });

/** A student with quiz results on two topics, applied through the REST ingest. */
async function withStudent(t: App = testApp()) {
  const res = await t.call('POST', '/api/v1/events', {
    body: [
      event({ occurred_at: '2026-01-14T09:00:00Z', data: { quiz_id: 'q1', score: 0.5 } }),
      event({ occurred_at: '2026-01-16T10:00:00Z', data: { quiz_id: 'q2', score: 0.9 } }),
      event({ occurred_at: '2026-01-18T10:00:00Z', topic_id: 'oop', data: { quiz_id: 'q3', score: 0.6 } }),
    ],
    headers: await bearer('service', 'platform'),
  });
  expect(res.json.applied).toBe(3);
  return t;
}

/** A store whose every call waits for `release` (or fails as told): slow or broken infrastructure. */
function storeThat(inner: MasteryStore, behaviour: { wait?: Promise<void>; fail?: () => Error }): MasteryStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (behaviour.wait) await behaviour.wait;
        if (behaviour.fail) throw behaviour.fail();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const expectEnvelope = (res: Awaited<ReturnType<App['call']>>, status: number, code: string | null) => {
  expect([res.status, res.json.success, res.json.error?.code ?? null]).toEqual([status, code === null, code]);
  expect(res.headers.get('content-type')).toStartWith('application/json');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.json.metadata).toMatchObject({ service: 'mastery-engine', version: '0.0.0-test' });
  if (code !== null) expect(res.json.data).toBeNull();
};

describe('invocation intents answer what their REST routes answer', () => {
  test('mastery_calculation: components are computed like /mastery/calculate, a student id is read like /mastery/query', async () => {
    const { call } = await withStudent();
    const student = await bearer('student', 'student-1');
    const components = { completion: 0.8, quiz: 0.9, quality: 0.7, consistency: 0.5 };
    const computed = await invoke(call, 'mastery_calculation', { components }, student);
    expectEnvelope(computed, 200, null);
    expect(computed.json.data).toEqual((await call('POST', '/api/v1/mastery/calculate', { body: { components }, headers: student })).json);
    const read = await invoke(call, 'mastery_calculation', { student_id: 'student-1', topic_ids: ['oop'] }, student);
    expectEnvelope(read, 200, null);
    expect(read.json.data).toEqual((await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1', topic_ids: ['oop'] }, headers: student })).json);
    expect(read.json.data.topics.map((x: { topic_id: string }) => x.topic_id)).toEqual(['oop']);
  });

  test('mastery_query, on both paths', async () => {
    const { call } = await withStudent();
    const student = await bearer('student', 'student-1');
    const rest = (await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1' }, headers: student })).json;
    expect(rest.topics).toHaveLength(2);
    for (const path of ['/process', '/api/v1/process']) {
      const res = await invoke(call, 'mastery_query', { student_id: 'student-1' }, student, path);
      expectEnvelope(res, 200, null);
      expect(res.json.data).toEqual(rest);
      expect(res.json.metadata.intent).toBe('mastery_query');
    }
  });

  test('get_prediction: the 7-day forecast, or with horizon_days the trajectory that far', async () => {
    const { call } = await withStudent();
    const teacherless = await bearer('admin', 'admin-1');
    const week = await invoke(call, 'get_prediction', { student_id: 'student-1' }, teacherless);
    expectEnvelope(week, 200, null);
    const restWeek = (await call('POST', '/api/v1/predictions/next-week', { body: { student_id: 'student-1' }, headers: teacherless })).json;
    // The REST call comes second and is served from the cache the intent filled.
    expect({ ...week.json.data, cached: true }).toEqual(restWeek);
    const path = await invoke(call, 'get_prediction', { student_id: 'student-1', horizon_days: 3, topic_id: 'oop' }, teacherless);
    expectEnvelope(path, 200, null);
    expect(path.json.data).toEqual((await call('POST', '/api/v1/predictions/trajectory', { body: { student_id: 'student-1', days: 3, topic_id: 'oop' }, headers: teacherless })).json);
    expect(path.json.data.points).toHaveLength(3);
  });

  test('generate_path: the learning path to a target', async () => {
    const { call } = await withStudent();
    const student = await bearer('student', 'student-1');
    const res = await invoke(call, 'generate_path', { student_id: 'student-1', target_topic_id: 'oop' }, student);
    expectEnvelope(res, 200, null);
    expect(res.json.data).toEqual((await call('POST', '/api/v1/recommendations/learning-path', { body: { student_id: 'student-1', target_topic_id: 'oop' }, headers: student })).json);
    expect(res.json.data.target_topic_id).toBe('oop');
  });

  test('analytics_query: type history is the mastery history, type compare the cohort comparison', async () => {
    const { call } = await withStudent();
    const admin = await bearer('admin', 'admin-1');
    const historyBody = { student_id: 'student-1', from: '2026-01-12', to: '2026-01-20', granularity: 'daily' };
    const history = await invoke(call, 'analytics_query', { type: 'history', ...historyBody }, admin);
    expectEnvelope(history, 200, null);
    expect(history.json.data).toEqual((await call('POST', '/api/v1/analytics/mastery-history', { body: historyBody, headers: admin })).json);
    expect(history.json.data.points).toHaveLength(9);

    expect((await call('POST', '/api/v1/cohorts', { body: { cohort_id: 'c1', name: 'c1', teacher_ids: [], student_ids: ['student-1'] }, headers: admin })).status).toBe(201);
    const compare = await invoke(call, 'analytics_query', { type: 'compare', cohort_id: 'c1' }, admin);
    expectEnvelope(compare, 200, null);
    expect(compare.json.data).toEqual((await call('POST', '/api/v1/analytics/compare', { body: { cohort_id: 'c1' }, headers: admin })).json);
    expect(compare.json.data.cohorts[0]).toMatchObject({ cohort_id: 'c1', n: 1, suppressed: true });
  });

  test('ingest_events: applied like /events, idempotent by event id, and read back by mastery_query', async () => {
    const { call } = testApp();
    const service = await bearer('service', 'platform');
    const events = [event({ student_id: 'learner-9' }), event({ student_id: 'learner-9', topic_id: 'oop' })];
    const first = await invoke(call, 'ingest_events', { events }, service);
    expectEnvelope(first, 202, null);
    expect(first.json.data).toMatchObject({ received: 2, applied: 2, duplicate: 0, rejected: 0 });
    const again = await invoke(call, 'ingest_events', { events }, service);
    expect(again.json.data).toMatchObject({ received: 2, applied: 0, duplicate: 2 });
    const read = await invoke(call, 'mastery_query', { student_id: 'learner-9' }, service);
    expect(read.json.data.topics.map((x: { event_count: number }) => x.event_count)).toEqual([1, 1]);
    // One bad event is rejected on its own, as on the REST route.
    const mixed = await invoke(call, 'ingest_events', { events: [event({ student_id: 'learner-9' }), { event_id: 'x' }] }, service);
    expect(mixed.json.data).toMatchObject({ applied: 1, rejected: 1 });
  });

  test('batch_process: queued through POST /api/v1/batch/mastery once that route exists, not_implemented until then', async () => {
    const { app, call } = testApp();
    const res = await invoke(call, 'batch_process', { student_ids: ['student-1', 'student-2'], priority: 'high' }, await bearer('admin', 'admin-1'));
    if (app.routes.some((r) => r.method === 'POST' && r.path === '/api/v1/batch/mastery')) {
      expectEnvelope(res, 202, null);
      expect(res.json.data).toMatchObject({ status: 'queued', priority: 'high', total: 2 });
      expect(res.json.data.batch_id).toBeString();
    } else {
      expectEnvelope(res, 501, 'not_implemented');
      expect(res.json.error.message).toContain('batch_process');
    }
  });
});

describe('invocation errors: every code with its status', () => {
  test('validation_error 400: a broken envelope, JSON or media type, and a payload the route refuses (fields named in the caller’s terms)', async () => {
    const { call } = testApp();
    const student = await bearer('student', 'student-1');
    const notJson = await call('POST', '/process', { raw: '{"intent":', headers: student });
    expectEnvelope(notJson, 400, 'validation_error');
    expect(notJson.json.metadata.intent).toBeNull();
    const noPayload = await call('POST', '/process', { body: { intent: 'mastery_query' }, headers: student });
    expectEnvelope(noPayload, 400, 'validation_error');
    expect(noPayload.json.error.details).toContainEqual(expect.objectContaining({ field: 'payload' }));
    const extra = await call('POST', '/process', { body: { intent: 'mastery_query', payload: {}, extra: 1 }, headers: student });
    expectEnvelope(extra, 400, 'validation_error');
    const badCorrelation = await call('POST', '/process', { body: { intent: 'mastery_query', payload: { student_id: 'student-1' }, context: { correlation_id: 'has spaces' } }, headers: student });
    expectEnvelope(badCorrelation, 400, 'validation_error');
    expect(badCorrelation.json.error.details[0].field).toBe('context.correlation_id');
    const text = await call('POST', '/process', { raw: 'intent=mastery_query', headers: { ...student, 'content-type': 'text/plain' } });
    expectEnvelope(text, 400, 'validation_error');

    const misspelt = await invoke(call, 'mastery_query', { student: 'student-1' }, student);
    expectEnvelope(misspelt, 400, 'validation_error');
    expect(misspelt.json.error.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['payload.student_id', 'payload.student']));
    const horizon = await invoke(call, 'get_prediction', { student_id: 'student-1', horizon_days: 31 }, student);
    expectEnvelope(horizon, 400, 'validation_error');
    expect(horizon.json.error.details).toEqual([expect.objectContaining({ field: 'payload.horizon_days' })]);
    const noType = await invoke(call, 'analytics_query', { student_id: 'student-1' }, student);
    expectEnvelope(noType, 400, 'validation_error');
    expect(noType.json.error.details[0].field).toBe('payload.type');
    const noEvents = await invoke(call, 'ingest_events', { event: {} }, await bearer('service', 'platform'));
    expectEnvelope(noEvents, 400, 'validation_error');
    const empty = await invoke(call, 'ingest_events', { events: [] }, await bearer('service', 'platform'));
    expectEnvelope(empty, 400, 'validation_error');
    expect(empty.json.error.details[0].field).toStartWith('payload.events');
  });

  test('unknown_intent 400 names the intents there are', async () => {
    const { call } = testApp();
    const res = await invoke(call, 'mastery_delete', { student_id: 'student-1' }, await bearer('admin', 'admin-1'));
    expectEnvelope(res, 400, 'unknown_intent');
    expect(res.json.error.message).toContain('mastery_query');
    expect(res.json.metadata.intent).toBe('mastery_delete');
    // Names of Object.prototype are not intents either.
    expectEnvelope(await invoke(call, 'constructor', {}, await bearer('admin', 'admin-1')), 400, 'unknown_intent');
  });

  test('unauthenticated 401: no Bearer token, a bad one, and with APP_API_TOKEN a missing or wrong dapr-api-token', async () => {
    const { call } = testApp();
    expectEnvelope(await invoke(call, 'mastery_query', { student_id: 'student-1' }), 401, 'unauthenticated');
    expectEnvelope(await invoke(call, 'mastery_calculation', { components: { completion: 1, quiz: 1, quality: 1, consistency: 1 } }), 401, 'unauthenticated');
    expectEnvelope(await invoke(call, 'mastery_query', { student_id: 'student-1' }, { authorization: 'Bearer a.b.c' }), 401, 'unauthenticated');

    const guarded = testApp({ invocation: { appApiToken: APP_TOKEN, timeoutMs: 10_000 } });
    const student = await bearer('student', 'student-1');
    const without = await invoke(guarded.call, 'mastery_query', { student_id: 'student-1' }, student);
    expectEnvelope(without, 401, 'unauthenticated');
    expect(without.json.error.message).toContain('dapr-api-token');
    expectEnvelope(await invoke(guarded.call, 'mastery_query', { student_id: 'student-1' }, { ...student, 'dapr-api-token': `${APP_TOKEN}x` }), 401, 'unauthenticated');
    expectEnvelope(await invoke(guarded.call, 'mastery_query', { student_id: 'student-1' }, { ...student, 'dapr-api-token': APP_TOKEN }), 200, null);
    // The token guards invocation only: the REST routes are for clients that have no sidecar.
    expect((await guarded.call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1' }, headers: student })).status).toBe(200);
  });

  test('forbidden 403: a student asking about another student, audited as denied like the REST read', async () => {
    const { call, auditLog } = await withStudent();
    const res = await invoke(call, 'mastery_query', { student_id: 'student-1' }, await bearer('student', 'student-2'));
    expectEnvelope(res, 403, 'forbidden');
    expectEnvelope(await invoke(call, 'get_prediction', { student_id: 'student-1' }, await bearer('student', 'student-2')), 403, 'forbidden');
    expectEnvelope(await invoke(call, 'ingest_events', { events: [event()] }, await bearer('student', 'student-1')), 403, 'forbidden');
    await Bun.sleep(20);
    const denied = (await auditLog.list({ tenantId: 'default' })).filter((e) => e.outcome === 'denied').map((e) => [e.action, e.requestId]);
    expect(denied).toContainEqual(['mastery.read', res.json.metadata.request_id]);
    expect(denied).toContainEqual(['prediction.read', expect.any(String)]);
    expect(denied).toContainEqual(['events.ingest', expect.any(String)]);
  });

  test('not_found 404: a cohort that does not exist', async () => {
    const { call } = testApp();
    const res = await invoke(call, 'analytics_query', { type: 'compare', cohort_id: 'no-such-cohort' }, await bearer('admin', 'admin-1'));
    expectEnvelope(res, 404, 'not_found');
  });

  test('payload_too_large 413: beyond the largest route limit at the envelope, beyond the route’s own limit inside', async () => {
    const { call } = testApp();
    const admin = await bearer('admin', 'admin-1');
    const huge = await invoke(call, 'mastery_query', { student_id: 'student-1', padding: 'x'.repeat(2_000_000) }, admin);
    expectEnvelope(huge, 413, 'payload_too_large');
    // 100 KB fits the envelope (an events batch may be larger) but not the query route's 64 KiB.
    const large = await invoke(call, 'mastery_query', { student_id: 'student-1', padding: 'x'.repeat(100_000) }, admin);
    expectEnvelope(large, 413, 'payload_too_large');
  });

  test('rate_limited 429: intents count against the caller’s one budget, with Retry-After', async () => {
    const { call } = testApp({ settings: { rateLimitPerMinute: 2, opsRateLimitPerMinute: 100, bodyLimitBytes: 65_536, corsOrigins: [], metricsToken: undefined } });
    const student = await bearer('student', 'student-1');
    expect((await call('POST', '/api/v1/mastery/query', { body: { student_id: 'student-1' }, headers: student })).status).toBe(200);
    expectEnvelope(await invoke(call, 'mastery_query', { student_id: 'student-1' }, student), 200, null);
    const limited = await invoke(call, 'mastery_query', { student_id: 'student-1' }, student);
    expectEnvelope(limited, 429, 'rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('internal 500 when the store breaks unexpectedly, without the error’s text', async () => {
    const t = testApp();
    const { call } = testApp({ engine: { ...t.deps.engine, store: storeThat(t.deps.engine.store, { fail: () => new Error('disk on fire at /var/secret') }) } });
    const res = await invoke(call, 'mastery_query', { student_id: 'student-1' }, await bearer('admin', 'admin-1'));
    expectEnvelope(res, 500, 'internal');
    expect(res.text).not.toContain('fire');
  });

  test('unavailable 503 when the state store is down, and while shutting down, with Retry-After', async () => {
    const t = testApp();
    const { call } = testApp({ engine: { ...t.deps.engine, store: storeThat(t.deps.engine.store, { fail: () => new StoreUnavailableError('redis down') }) } });
    const down = await invoke(call, 'mastery_query', { student_id: 'student-1' }, await bearer('admin', 'admin-1'));
    expectEnvelope(down, 503, 'unavailable');
    expect(down.headers.get('retry-after')).toBe('5');

    const stopping = testApp();
    stopping.lifecycle.accepting = false;
    const refused = await invoke(stopping.call, 'mastery_query', { student_id: 'student-1' }, await bearer('admin', 'admin-1'));
    expectEnvelope(refused, 503, 'unavailable');
  });

  test('timeout 504 when the intent outlasts INVOCATION_TIMEOUT_MS; the work still completes afterwards', async () => {
    let release = () => {};
    const wait = new Promise<void>((r) => (release = r));
    const t = testApp();
    const slow = testApp({ engine: { ...t.deps.engine, store: storeThat(t.deps.engine.store, { wait }) }, invocation: { appApiToken: undefined, timeoutMs: 100 } });
    const service = await bearer('service', 'platform');
    const res = await invoke(slow.call, 'ingest_events', { events: [event({ student_id: 'late-1' })] }, service);
    expectEnvelope(res, 504, 'timeout');
    expect(res.json.error.message).toContain('may still complete');
    release();
    await Bun.sleep(20);
    const read = await invoke(slow.call, 'mastery_query', { student_id: 'late-1' }, service);
    expect(read.json.data.topics[0].event_count).toBe(1);
  });
});

describe('invocation in the OpenAPI document', () => {
  test('both paths document the envelope request and every status an envelope can answer with', async () => {
    const { call } = testApp();
    const doc = (await call('GET', '/docs/json')).json;
    for (const path of ['/process', '/api/v1/process']) {
      const op = doc.paths[path].post;
      expect(op.requestBody.content['application/json'].schema.required).toEqual(['intent', 'payload']);
      expect(Object.keys(op.responses).sort()).toEqual(['200', '202', ...Object.values(INVOCATION_STATUS).map(String)].filter((s, i, all) => all.indexOf(s) === i).sort());
    }
  });
});

describe('invocation metadata, trace and logs', () => {
  test('request id, correlation id, caller app id and the caller’s trace, in the metadata and on both log lines', async () => {
    const { call, logs } = testApp();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await call('POST', '/process', {
      body: { intent: 'mastery_query', payload: { student_id: 'student-1' }, context: { correlation_id: 'order-77' } },
      headers: { ...(await bearer('student', 'student-1')), 'x-request-id': 'req-123', 'dapr-caller-app-id': 'learnflow-tutor', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expectEnvelope(res, 200, null);
    const meta = res.json.metadata;
    expect(meta).toMatchObject({ intent: 'mastery_query', request_id: 'req-123', correlation_id: 'order-77', caller_app_id: 'learnflow-tutor' });
    expect(meta.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(meta.duration_ms).toBeGreaterThanOrEqual(0);
    expect(res.headers.get('traceparent')).toBe(meta.traceparent);

    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.request_id === 'req-123');
    expect(lines.find((l) => l.msg === 'invocation')).toMatchObject({ intent: 'mastery_query', caller_app_id: 'learnflow-tutor', correlation_id: 'order-77', traceparent: meta.traceparent, status: 200 });
    // The intent's REST request: the same request id and trace, its own route, the principal.
    expect(lines.find((l) => l.msg === 'request' && l.route === '/api/v1/mastery/query')).toMatchObject({ trace_id: traceId, status: 200, role: 'student' });
  });

  test('without a correlation id the request id stands in; a caller app id that is not an id is not echoed', async () => {
    const { call } = testApp();
    const res = await invoke(call, 'mastery_query', { student_id: 'student-1' }, { ...(await bearer('student', 'student-1')), 'dapr-caller-app-id': 'bad id <script>' });
    expect(res.json.metadata.correlation_id).toBe(res.json.metadata.request_id);
    expect(res.json.metadata.caller_app_id).toBeNull();
  });
});
