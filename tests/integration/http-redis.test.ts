import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { leaseSize } from '../../src/domain/access/fixed-window';
import { ingestOneLessonAndRead, productionEnv, token } from '../support/http';
import { startService, type RunningService } from '../support/service-process';
import { requireService, uniqueId } from '../support/services';
import { redisKeysOf } from '../support/stores';

const redisUrl = requireService('REDIS_URL');
const env = { STATE_BACKEND: 'redis', REDIS_URL: redisUrl, ...productionEnv };
const redis = createRedisClient(redisUrl, 5000);
beforeAll(() => waitUntilReady(redis, 5000));
afterAll(() => redis.quit());

describe('the service on a real socket with the Redis backend', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService(env);
  });
  afterAll(async () => {
    await service.stop('SIGKILL');
  });

  test('ingests an event and serves the mastery through the typed client; state lands in Redis', async () => {
    const tenant = uniqueId('t');
    const studentId = uniqueId('s');
    const data = await ingestOneLessonAndRead(service.url, tenant, studentId);
    expect(data?.topics[0]).toMatchObject({ topic_id: 'functions', event_count: 1, components: { completion: 0.166667 } });
    expect((await redis.keys(redisKeysOf({ tenantId: tenant, studentId }))).length).toBe(3);
  });

  test('/ready reports redis up with its latency', async () => {
    const res = await fetch(`${service.url}/ready`);
    const body = (await res.json()) as { dependencies: Record<string, { status: string; latency_ms: number }> };
    expect(res.status).toBe(200);
    expect(body.dependencies.redis!.status).toBe('up');
  });

  test('bad input over the socket answers the same error shape', async () => {
    const res = await fetch(`${service.url}/api/v1/mastery/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token({ role: 'admin', sub: 'admin-1', tenant: 'default' })}`, 'content-type': 'application/json' },
      body: '{"student_id": ',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
  });
});

describe('replicas sharing Redis', () => {
  test('share one rate limit per principal', async () => {
    const [a, b] = await Promise.all([startService({ ...env, RATE_LIMIT_PER_MINUTE: '3' }), startService({ ...env, RATE_LIMIT_PER_MINUTE: '3' })]);
    try {
      const auth = { authorization: `Bearer ${await token({ role: 'student', sub: uniqueId('s'), tenant: 'default' })}` };
      const statuses = [];
      for (const s of [a, b, a, b]) statuses.push((await fetch(`${s.url}/api/v1/cohorts`, { headers: auth })).status);
      // Students may not list cohorts (403), until the shared quota of 3 runs out.
      expect(statuses).toEqual([403, 403, 403, 429]);
    } finally {
      await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    }
  }, 30_000);

  test('with leases of the quota, two replicas never allow more than the limit, and refuse early by at most one lease', async () => {
    const limit = 160;
    const [a, b] = await Promise.all([startService({ ...env, RATE_LIMIT_PER_MINUTE: String(limit) }), startService({ ...env, RATE_LIMIT_PER_MINUTE: String(limit) })]);
    try {
      const auth = { authorization: `Bearer ${await token({ role: 'student', sub: uniqueId('s'), tenant: 'default' })}` };
      // All within one minute window: a new window would allow again.
      const toNextWindow = 60_000 - (Date.now() % 60_000);
      if (toNextWindow < 10_000) await Bun.sleep(toNextWindow + 50);
      const statuses: number[] = [];
      // Taking turns, so both replicas hold a lease while the quota runs out.
      for (let i = 0; i < limit + 40; i++) statuses.push((await fetch(`${(i % 2 ? a : b).url}/api/v1/cohorts`, { headers: auth })).status);
      const allowed = statuses.filter((s) => s !== 429).length;
      expect(allowed).toBeLessThanOrEqual(limit);
      expect(allowed).toBeGreaterThanOrEqual(limit - leaseSize(limit, 0));
      // Once the quota and both replicas' leases are spent, both refuse for the rest of the window.
      expect(statuses.slice(-20)).toEqual(Array.from({ length: 20 }, () => 429));
    } finally {
      await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    }
  }, 30_000);
});

describe('graceful shutdown', () => {
  test('on SIGTERM: /ready 503, new requests refused, the request in flight finishes, exit 0 within 10 s', async () => {
    // A slow Redis holds one request in flight while the service is told to stop.
    const service = await startService({ ...env, REDIS_COMMAND_TIMEOUT_MS: '5000', BREAKER_TIMEOUT_MS: '8000', SHUTDOWN_TIMEOUT_MS: '10000' });
    const admin = { authorization: `Bearer ${await token({ role: 'admin', sub: 'admin-1', tenant: 'default' })}` };
    const sleeper = createRedisClient(redisUrl, 5000);
    await waitUntilReady(sleeper, 5000);
    try {
      const frozen = sleeper.call('DEBUG', 'SLEEP', '1.5');
      await Bun.sleep(100);
      const inFlight = fetch(`${service.url}/api/v1/students/${uniqueId('s')}/mastery`, { headers: admin });
      await Bun.sleep(200);
      const started = performance.now();
      service.proc.kill('SIGTERM');
      await Bun.sleep(100);
      const ready = await fetch(`${service.url}/ready`);
      const refused = await fetch(`${service.url}/api/v1/cohorts`, { headers: admin });
      expect(ready.status).toBe(503);
      expect(refused.status).toBe(503);
      expect((await inFlight).status).toBe(200);
      await frozen;
      expect(await service.proc.exited).toBe(0);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(service.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    } finally {
      await sleeper.quit();
      service.proc.kill('SIGKILL');
    }
  }, 30_000);

  test('a start-up failure ends the process with one line and no stack trace', async () => {
    const err = await startService({ JWT_ALGORITHM: 'RS256', JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' }, 5000).catch((e: Error) => e);
    expect((err as Error).message).toContain('start-up failed: ENOENT');
    expect((err as Error).message).not.toMatch(/\n\s+at /);
  });

  test('production refuses to start without a JWT secret, listing the problem', async () => {
    const err = await startService({ APP_ENV: 'production' }, 5000).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('JWT_SECRET: required in production');
  });
});
