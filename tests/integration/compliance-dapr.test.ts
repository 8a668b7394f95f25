import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { startDaprState, type DaprStateUnderTest } from '../support/dapr-state';
import { auditVerdictAfterConcurrentReads, callJson, productionEnv, token } from '../support/http';
import { startService, type RunningService } from '../support/service-process';
import { requireService, uniqueId } from '../support/services';
import { keysMatching } from '../support/stores';

/**
 * STATE_BACKEND=dapr as it runs: the real service process, every store through a real daprd whose
 * state component is state.redis on the test Redis (under a key prefix of its own), and Redis read
 * directly afterwards, as an operator would look, to see what the erasure left.
 */
const redis = createRedisClient(requireService('REDIS_URL'), 5000);
let dapr: DaprStateUnderTest;
let service: RunningService;
let env: Record<string, string>;

beforeAll(async () => {
  await waitUntilReady(redis, 5000);
  dapr = await startDaprState('redis');
  env = {
    STATE_BACKEND: 'dapr',
    DAPR_HTTP_PORT: new URL(dapr.daprd.url).port,
    DAPR_STATE_STORE: 'statestore',
    ...productionEnv,
  };
  service = await startService(env);
}, 300_000);

afterAll(async () => {
  await service?.stop('SIGKILL');
  await dapr?.stop();
  await redis.quit();
}, 30_000);

/** Every key the sidecar wrote for this run. */
const daprKeys = () => keysMatching(redis, `${dapr.keyPrefix}||*`);

const call = (method: string, path: string, auth: string, body?: unknown) => callJson(service.url, method, path, auth, body);

/** Submits a batch of the given students and waits until it is finished (chunks run in the background). */
const recalculated = async (admin: string, studentIds: string[]) => {
  const submitted = await call('POST', '/api/v1/batch/mastery', admin, { student_ids: studentIds, priority: 'high' });
  expect(submitted.status).toBe(202);
  for (let i = 0; i < 300; i++) {
    const status = await call('GET', `/api/v1/batch/${submitted.json.batch_id}`, admin);
    if (!['queued', 'running'].includes(status.json.status)) return status.json;
    await Bun.sleep(50);
  }
  throw new Error(`batch ${submitted.json.batch_id} did not finish`);
};

describe('the Dapr state backend, through the real service and a real daprd', () => {
  test('the service reports the dapr backend and is ready through the sidecar', async () => {
    const root = (await (await fetch(`${service.url}/`)).json()) as { backends: { state: string } };
    expect(root.backends.state).toBe('dapr');
    expect((await fetch(`${service.url}/ready`)).status).toBe(200);
  });

  test('erasure reaches every store: no key names or holds the student id, and redelivered events bring nothing back', async () => {
    const tenant = uniqueId('tenant');
    const studentId = uniqueId('learner');
    const platform = await token({ role: 'service', sub: 'platform', tenant });
    const admin = await token({ role: 'admin', sub: 'admin-1', tenant });
    const student = await token({ role: 'student', sub: studentId, tenant });
    const events = [2, 1].map((daysAgo, i) => ({
      event_id: `${studentId}-e${i}`,
      event_type: 'quiz.completed',
      student_id: studentId,
      topic_id: 'oop',
      occurred_at: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
      data: { quiz_id: 'q', score: 0.5 },
    }));
    expect((await call('POST', '/api/v1/events', platform, events)).json.applied).toBe(2);
    expect((await call('POST', '/api/v1/events', platform, events)).json.duplicate).toBe(2);
    expect((await call('PUT', '/api/v1/compliance/consent/' + studentId, student, { analytics: true })).status).toBe(200);
    const withdrawn = uniqueId('learner');
    expect((await call('PUT', '/api/v1/compliance/consent/' + withdrawn, await token({ role: 'student', sub: withdrawn, tenant }), { analytics: false })).status).toBe(200);
    expect((await call('PUT', '/api/v1/cohorts/c1', admin, { name: 'c1', teacher_ids: [], student_ids: [studentId] })).status).toBeLessThan(300);
    expect((await call('GET', `/api/v1/students/${studentId}/mastery`, student)).json.topics.length).toBe(1);
    expect((await call('POST', '/api/v1/predictions/next-week', student, { student_id: studentId })).status).toBe(200);
    const served = await call('POST', '/api/v1/recommendations/adaptive', student, { student_id: studentId });
    expect(served.json.recommendations.length).toBeGreaterThan(0);
    const feedback = await call('POST', `/api/v1/recommendations/${served.json.recommendations[0].recommendation_id}/feedback`, student, { student_id: studentId, status: 'accepted' });
    expect(feedback.status).toBe(200);
    const exported = (await call('GET', `/api/v1/compliance/export/${studentId}`, student)).json;
    expect([exported.state.oop.event_count, exported.cohorts.length, exported.recommendations.length > 0, exported.predictions.length > 0, exported.cached_predictions.length > 0]).toEqual([2, 1, true, true, true]);
    // A batch's results name the student and their score until the erasure.
    expect(await recalculated(admin, [studentId])).toMatchObject({ status: 'completed', succeeded: 1 });
    // Before the erasure the student's data is there to find, so the checks below can fail.
    const before = await Promise.all((await daprKeys()).map((k) => redis.hget(k, 'data')));
    expect(before.some((v) => v?.includes(studentId))).toBe(true);

    expect((await call('DELETE', `/api/v1/compliance/student/${studentId}`, student)).status).toBe(200);

    const keys = await daprKeys();
    expect(keys.some((k) => k.includes(`student:${tenant}/`))).toBe(true);
    for (const key of keys) {
      expect(key).not.toContain(studentId);
      expect(JSON.stringify(await redis.hgetall(key))).not.toContain(studentId);
    }
    // The student's own documents hold nothing but erasure records.
    for (const key of keys.filter((k) => /\|\|(student|predictions|recommendations):/.test(k) && k.includes(tenant))) {
      const doc = JSON.parse((await redis.hget(key, 'data'))!) as Record<string, unknown>;
      expect(doc).toMatchObject(key.includes('||student:') ? { topics: {}, history: {}, events: {} } : key.includes('||predictions:') ? { entries: {} } : { records: [] });
      expect(await redis.ttl(key)).toBeGreaterThan(0);
    }
    const again = await call('POST', '/api/v1/events', platform, events);
    expect(again.json.results.map((r: { reason: string }) => r.reason)).toEqual(['erased', 'erased']);
    expect((await call('GET', `/api/v1/compliance/export/${studentId}`, admin)).json).toMatchObject({ state: {}, history: [], cohorts: [], recommendations: [] });
  }, 60_000);

  test('every key the sidecar wrote expires, except the audit log and consent withdrawals', async () => {
    const keys = await daprKeys();
    expect(keys.length).toBeGreaterThan(0);
    const ttls = await Promise.all(keys.map((k) => redis.ttl(k)));
    const withoutTtl = keys.filter((_, i) => ttls[i] === -1).map((k) => k.slice(k.indexOf('||') + 2));
    // A withdrawal is the student's standing "do not process": a flag and a time, under a pseudonym.
    for (const key of withoutTtl.filter((k) => k.startsWith('consent:'))) {
      expect(JSON.parse((await redis.hget(`${dapr.keyPrefix}||${key}`, 'data'))!)).toEqual({ analytics: false, updatedAt: expect.any(Number) });
    }
    expect(withoutTtl.filter((k) => !/^(audit|consent):/.test(k))).toEqual([]);
    expect(withoutTtl.some((k) => k.startsWith('audit:'))).toBe(true);
  });

  test('two replicas writing the audit log concurrently through the sidecar keep one intact chain', async () => {
    const other = await startService(env);
    try {
      const verdict = await auditVerdictAfterConcurrentReads(service, other, 300);
      expect(verdict).toMatchObject({ intact: true, first_broken_position: null });
      expect(verdict.length).toBeGreaterThanOrEqual(40);
    } finally {
      await other.stop('SIGKILL');
    }
  }, 30_000);

  test('a sidecar that is gone answers 503 at once, not a hang', async () => {
    const gone = await startService({ ...env, DAPR_HTTP_PORT: '1', BREAKER_TIMEOUT_MS: '500' });
    try {
      const admin = await token({ role: 'admin', sub: 'admin-1', tenant: uniqueId('tenant') });
      expect((await fetch(`${gone.url}/ready`)).status).toBe(503);
      const started = performance.now();
      const res = await fetch(`${gone.url}/api/v1/students/s1/mastery`, { headers: { authorization: `Bearer ${admin}` } });
      expect(res.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await gone.stop('SIGKILL');
    }
  }, 30_000);
});
