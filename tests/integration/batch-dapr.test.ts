import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { startDaprState, type DaprStateUnderTest } from '../support/dapr-state';
import { callJson, productionEnv, token } from '../support/http';
import { startService, type RunningService } from '../support/service-process';
import { requireService, uniqueId } from '../support/services';
import { keysMatching } from '../support/stores';

/**
 * Batch recalculation on STATE_BACKEND=dapr as it runs: the real service process (in-process
 * queue, no Kafka), every store through a real daprd whose state component is state.redis on the
 * test Redis under a key prefix of its own; Redis is read directly afterwards to see what was kept.
 */
const redis = createRedisClient(requireService('REDIS_URL'), 5000);
let dapr: DaprStateUnderTest;
let service: RunningService;

beforeAll(async () => {
  await waitUntilReady(redis, 5000);
  dapr = await startDaprState('redis');
  service = await startService({
    STATE_BACKEND: 'dapr',
    DAPR_HTTP_PORT: new URL(dapr.daprd.url).port,
    DAPR_STATE_STORE: 'statestore',
    ...productionEnv,
    BATCH_CHUNK_SIZE: '2',
  });
}, 300_000);

afterAll(async () => {
  await service?.stop('SIGKILL');
  await dapr?.stop();
  await redis.quit();
}, 30_000);

const call = (method: string, path: string, auth: string, body?: unknown) => callJson(service.url, method, path, auth, body);

/** The sidecar's keys (after the component's prefix) that start with `prefix`. */
const daprKeys = (prefix: string) => keysMatching(redis, `${dapr.keyPrefix}||${prefix}*`);

test('POST /api/v1/batch/mastery completes through a real daprd: counts, errors, paged results, recalculated snapshots, keys that expire', async () => {
  const tenant = uniqueId('tenant');
  const platform = await token({ role: 'service', sub: 'platform', tenant });
  const admin = await token({ role: 'admin', sub: 'admin-1', tenant });
  const students = Array.from({ length: 5 }, (_, i) => `learner-${i}`);
  const events = students.map((studentId) => ({
    event_id: `${studentId}-e`,
    event_type: 'quiz.completed',
    student_id: studentId,
    topic_id: 'oop',
    occurred_at: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    data: { quiz_id: 'q', score: 0.7 },
  }));
  expect((await call('POST', '/api/v1/events', platform, events)).json.applied).toBe(5);

  const submitted = await call('POST', '/api/v1/batch/mastery', admin, { student_ids: [...students, 'ghost'], priority: 'high' });
  expect(submitted.status).toBe(202);
  let status: any;
  for (let i = 0; i < 100; i++) {
    status = (await call('GET', submitted.json.status_url, admin)).json;
    if (status.finished_at !== null) break;
    await Bun.sleep(100);
  }
  expect(status).toMatchObject({ status: 'completed_with_errors', total: 6, processed: 6, succeeded: 5, failed: 1, errors: [{ code: 'unknown_student', count: 1, student_ids: ['ghost'] }] });

  // Results come from one document per chunk (three chunks of two): pages of four cross them.
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; json: any } = await call('GET', `${submitted.json.status_url}/results?limit=4${cursor ? `&cursor=${cursor}` : ''}`, admin);
    expect(page.status).toBe(200);
    seen.push(...page.json.items.map((r: { student_id: string }) => r.student_id));
    cursor = page.json.next_cursor;
  } while (cursor !== null);
  expect(seen.sort()).toEqual(students);

  // One batch document and one per chunk, each expiring with the batch (BATCH_TTL_DAYS, 7).
  const batchKeys = [...(await daprKeys(`batch:${tenant}/`)), ...(await daprKeys(`batch-chunk:${tenant}/`))];
  expect(batchKeys).toHaveLength(1 + 3);
  for (const key of batchKeys) expect(await redis.ttl(key)).toBeGreaterThan(6 * 86_400);
  // The recalculation wrote each student's day snapshot for today into their document.
  const docs = await Promise.all((await daprKeys(`student:${tenant}/`)).map((k) => redis.hget(k, 'data')));
  expect(docs).toHaveLength(5);
  for (const doc of docs) expect(Object.values(JSON.parse(doc!).history as Record<string, { recalculated?: boolean }>).filter((s) => s.recalculated)).toHaveLength(1);
}, 60_000);
