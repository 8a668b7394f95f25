import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { auditVerdictAfterConcurrentReads, callJson, productionEnv, token } from '../support/http';
import { startService, type RunningService } from '../support/service-process';
import { requireService, uniqueId } from '../support/services';
import { keysMatching } from '../support/stores';

const redisUrl = requireService('REDIS_URL');
const env = { STATE_BACKEND: 'redis', REDIS_URL: redisUrl, ...productionEnv };
const redis = createRedisClient(redisUrl, 5000);
beforeAll(() => waitUntilReady(redis, 5000));
afterAll(() => redis.quit());

/** Every key of the service (prefix me:). */
const serviceKeys = (r: Redis) => keysMatching(r, 'me:*');

/** A key's whole content as text, whatever its type. */
async function contentOf(r: Redis, key: string): Promise<string> {
  switch (await r.type(key)) {
    case 'string':
      return (await r.get(key)) ?? '';
    case 'hash':
      return JSON.stringify(await r.hgetall(key));
    case 'list':
      return JSON.stringify(await r.lrange(key, 0, -1));
    case 'zset':
      return JSON.stringify(await r.zrange(key, 0, -1));
    case 'stream':
      return JSON.stringify(await r.xrange(key, '-', '+'));
    default:
      return '';
  }
}

describe('compliance on the Redis backend, through the real service', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService(env);
  });
  afterAll(() => service.stop('SIGKILL'));

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

  test('after erasure no key names or holds the student id, and redelivered events bring nothing back', async () => {
    const tenant = uniqueId('tenant');
    const studentId = uniqueId('learner');
    const platform = await token({ role: 'service', sub: 'platform', tenant });
    const admin = await token({ role: 'admin', sub: 'admin-1', tenant });
    const student = await token({ role: 'student', sub: studentId, tenant });
    const events = [2, 1].map((daysAgo) => new Date(Date.now() - daysAgo * 86_400_000).toISOString()).map((at, i) => ({
      event_id: `${studentId}-e${i}`,
      event_type: 'quiz.completed',
      student_id: studentId,
      topic_id: 'oop',
      occurred_at: at,
      data: { quiz_id: 'q', score: 0.5 },
    }));
    expect((await call('POST', '/api/v1/events', platform, events)).json.applied).toBe(2);
    await call('PUT', '/api/v1/compliance/consent/' + studentId, student, { analytics: true });
    await call('PUT', '/api/v1/cohorts/c1', admin, { name: 'c1', teacher_ids: [], student_ids: [studentId] });
    await call('GET', `/api/v1/students/${studentId}/mastery`, student);
    // Recommendations served and feedback on one: their keys must go with the student too.
    const served = await call('POST', '/api/v1/recommendations/adaptive', student, { student_id: studentId });
    expect(served.json.recommendations.length).toBeGreaterThan(0);
    const feedback = await call('POST', `/api/v1/recommendations/${served.json.recommendations[0].recommendation_id}/feedback`, student, { student_id: studentId, status: 'accepted' });
    expect(feedback.status).toBe(200);
    expect((await serviceKeys(redis)).filter((k) => k.includes(tenant) && /:rec(s|-cache|-order|-feedback)$/.test(k)).length).toBe(4);
    expect((await call('GET', `/api/v1/compliance/export/${studentId}`, student)).json.state.oop.event_count).toBe(2);
    // A batch's results name the student and their score until the erasure.
    expect(await recalculated(admin, [studentId])).toMatchObject({ status: 'completed', succeeded: 1 });
    expect((await serviceKeys(redis)).some((k) => k.includes(tenant) && k.endsWith(':batch-results'))).toBe(true);

    const erased = await call('DELETE', `/api/v1/compliance/student/${studentId}`, student);
    expect(erased.status).toBe(200);

    const ours = (await serviceKeys(redis)).filter((k) => k.includes(tenant));
    expect(ours.some((k) => k.endsWith(':erased'))).toBe(true);
    for (const key of ours) {
      expect(key).not.toContain(studentId);
      expect(await contentOf(redis, key)).not.toContain(studentId);
    }
    const again = await call('POST', '/api/v1/events', platform, events);
    expect(again.json.results.map((r: { reason: string }) => r.reason)).toEqual(['erased', 'erased']);
    expect((await call('GET', `/api/v1/compliance/export/${studentId}`, admin)).json).toMatchObject({ state: {}, history: [], cohorts: [], recommendations: [] });
  });

  test('every key the service wrote expires, except the audit log (with its indexes), consent withdrawals and curricula', async () => {
    const keys = await serviceKeys(redis);
    expect(keys.length).toBeGreaterThan(0);
    const withoutTtl: string[] = [];
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const ttls = await Promise.all(batch.map((k) => redis.ttl(k)));
      batch.forEach((k, j) => ttls[j] === -1 && withoutTtl.push(k));
    }
    // A withdrawal is the student's standing "do not process": it holds a flag and a time, under a pseudonym.
    const withdrawals = await Promise.all(withoutTtl.filter((k) => k.endsWith(':consent')).map((k) => redis.get(k)));
    expect(withdrawals.filter((v) => !/^0\|\d+$/.test(v ?? ''))).toEqual([]);
    // A tenant's curriculum is configuration, not personal data: it must not lapse (ADR 0010).
    // The audit log's per-target indexes go with their last record, as the log's records do (ADR 0021).
    expect(withoutTtl.filter((k) => !/:(audit(-head|-anchor)?|consent|curriculum)$|:audit-seqs:.+$/.test(k))).toEqual([]);
    expect(withoutTtl.length).toBeGreaterThan(0);
  }, 60_000);

  test('two replicas writing the audit log concurrently keep one intact chain', async () => {
    const other = await startService(env);
    try {
      const verdict = await auditVerdictAfterConcurrentReads(service, other, 200);
      expect(verdict).toMatchObject({ intact: true, first_broken_position: null });
      expect(verdict.length).toBeGreaterThanOrEqual(40);
    } finally {
      await other.stop('SIGKILL');
    }
  }, 30_000);
});

describe('TLS', () => {
  test('with TLS_CERT_FILE and TLS_KEY_FILE the service answers HTTPS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mastery-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = Bun.spawnSync([
      'openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
    ]);
    expect(made.exitCode).toBe(0);
    const service = await startService({ ...env, TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    try {
      const url = service.url.replace('http://', 'https://');
      const res = await fetch(`${url}/health`, { tls: { ca: readFileSync(cert, 'utf8') } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'healthy' });
      const root = (await (await fetch(`${url}/`, { tls: { ca: readFileSync(cert, 'utf8') } })).json()) as { backends: { tls: string } };
      expect(root.backends.tls).toBe('on');
    } finally {
      await service.stop('SIGKILL');
    }
  }, 30_000);
});
