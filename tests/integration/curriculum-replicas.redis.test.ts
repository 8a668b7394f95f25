import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { curriculumKey } from '../../src/adapters/redis/keys';
import { callJson, productionEnv, token } from '../support/http';
import { startService, type RunningService } from '../support/service-process';
import { requireService, uniqueId } from '../support/services';

const redisUrl = requireService('REDIS_URL');
const env = { STATE_BACKEND: 'redis', REDIS_URL: redisUrl, ...productionEnv };
const redis = createRedisClient(redisUrl, 5000);
beforeAll(() => waitUntilReady(redis, 5000));
afterAll(() => redis.quit());

describe('two replicas of the service on one Redis', () => {
  let a: RunningService;
  let b: RunningService;
  beforeAll(async () => {
    // The default refresh (CURRICULUM_REFRESH_MS 1000): what a deployment runs.
    [a, b] = await Promise.all([startService(env), startService(env)]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
  });

  test('a curriculum stored through one replica is used by the other within 5 seconds, for reads and for ingest', async () => {
    const tenant = uniqueId('t');
    const admin = await token({ role: 'admin', sub: 'admin-1', tenant });
    const service = await token({ role: 'service', sub: 'lms', tenant });
    // Replica B reads (and so caches) the shipped curriculum first: the copy that must go stale.
    const before = await callJson(b.url, 'GET', '/api/v1/curriculum', admin);
    expect(before.json.version).toBe(0);
    const lesson = { event_type: 'lesson.completed', student_id: 's-1', topic_id: 'rust-basics', occurred_at: new Date().toISOString(), data: { lesson_id: 'rust-basics.hello' } };
    expect((await callJson(b.url, 'POST', '/api/v1/events', service, { ...lesson, event_id: uniqueId('e') })).json.results[0].status).toBe('rejected');

    const topics = [...before.json.topics, { topic_id: 'rust-basics', title: 'Rust basics', lessons: ['rust-basics.hello'], prerequisites: [] }];
    const put = await callJson(a.url, 'PUT', '/api/v1/curriculum', admin, { topics }, { 'if-match': '"0"' });
    expect(put.status).toBe(200);
    const storedAt = Date.now();

    let seenAfter = Number.POSITIVE_INFINITY;
    while (Date.now() - storedAt < 6000) {
      if ((await callJson(b.url, 'GET', '/api/v1/curriculum', admin)).json.version === 1) {
        seenAfter = Date.now() - storedAt;
        break;
      }
      await Bun.sleep(50);
    }
    expect(seenAfter).toBeLessThan(5000);
    expect((await callJson(b.url, 'POST', '/api/v1/events', service, { ...lesson, event_id: uniqueId('e') })).json.results[0].status).toBe('applied');
    // A write on B from the stale version is refused: the version check is the store's, not a replica's copy.
    expect((await callJson(b.url, 'PUT', '/api/v1/curriculum', admin, { topics }, { 'if-match': '"0"' })).status).toBe(412);
    await redis.del(curriculumKey(tenant));
  }, 15_000);
});
