import { describe, expect, test } from 'bun:test';
import { MemoryRateLimiter } from '../../src/adapters/memory/rate-limiter.memory';
import { RateLimiterUnavailableError, type RateLimiter } from '../../src/ports/rate-limiter.port';
import { bearer, testApp } from '../support/http';
import { FixedClock } from '../support/fixed-clock';

const limited = (limit: number, clock = new FixedClock(Date.parse('2026-01-20T12:00:10Z'))) => {
  const t = testApp({ rateLimiter: new MemoryRateLimiter({ clock }) });
  t.deps.settings.rateLimitPerMinute = limit;
  return { ...t, limiterClock: clock };
};

describe('rate limits', () => {
  test('the request over the limit answers 429 with Retry-After and the IETF RateLimit headers', async () => {
    const { call } = limited(3);
    const headers = await bearer('student', 'student-1');
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await call('GET', '/api/v1/students/student-1/mastery', { headers }));
    expect(seen.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(seen.map((r) => r.headers.get('ratelimit'))).toEqual(['"default";r=2;t=50', '"default";r=1;t=50', '"default";r=0;t=50', '"default";r=0;t=50']);
    expect(seen[0]!.headers.get('ratelimit-policy')).toBe('"default";q=3;w=60');
    expect(seen[3]!.headers.get('retry-after')).toBe('50');
    expect(seen[3]!.json.error.code).toBe('rate_limited');
  });

  test('each principal has its own quota, and a new window allows again', async () => {
    const { call, limiterClock } = limited(1);
    const a = await bearer('student', 'student-1');
    const b = await bearer('student', 'student-2');
    expect((await call('GET', '/api/v1/students/student-1/mastery', { headers: a })).status).toBe(200);
    expect((await call('GET', '/api/v1/students/student-2/mastery', { headers: b })).status).toBe(200);
    expect((await call('GET', '/api/v1/students/student-1/mastery', { headers: a })).status).toBe(429);
    limiterClock.advance(60_000);
    expect((await call('GET', '/api/v1/students/student-1/mastery', { headers: a })).status).toBe(200);
  });

  test('a student cannot reset their own quota by erasing themselves', async () => {
    const { call } = limited(2);
    const headers = await bearer('student', 'student-1');
    expect((await call('GET', '/api/v1/students/student-1/mastery', { headers })).status).toBe(200);
    expect((await call('DELETE', '/api/v1/compliance/student/student-1', { headers })).status).toBe(200);
    expect((await call('GET', '/api/v1/students/student-1/mastery', { headers })).status).toBe(429);
  });

  test('unauthenticated requests are limited per client address', async () => {
    const { call } = limited(2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/api/v1/cohorts')).status);
    expect(statuses).toEqual([401, 401, 429]);
  });

  test('health, readiness, metrics and docs are never limited', async () => {
    const { call } = limited(1);
    for (let i = 0; i < 5; i++) {
      for (const path of ['/health', '/ready', '/metrics', '/docs/json', '/']) expect((await call('GET', path)).status).toBe(200);
    }
  });

  test('429s are counted in the metrics by kind of principal', async () => {
    const { call } = limited(1);
    const headers = await bearer('teacher', 'teacher-1');
    await call('GET', '/api/v1/cohorts', { headers });
    await call('GET', '/api/v1/cohorts', { headers });
    expect((await call('GET', '/metrics')).text).toContain('rate_limit_rejections_total{kind="teacher"} 1');
  });

  test('when the limiter backend is down requests are let through (fail open) and counted', async () => {
    const broken: RateLimiter = { hit: () => Promise.reject(new RateLimiterUnavailableError('redis down')) };
    const { call, logs } = testApp({ rateLimiter: broken });
    const res = await call('GET', '/api/v1/students/student-1/mastery', { headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toBeNull();
    expect((await call('GET', '/metrics')).text).toContain('rate_limiter_errors_total 1');
    expect(logs.some((l) => l.includes('failing open'))).toBe(true);
  });
});
