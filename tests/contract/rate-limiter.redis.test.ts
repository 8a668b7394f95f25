import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { rateLimitKey } from '../../src/adapters/redis/keys';
import { leaseSize } from '../../src/domain/access/fixed-window';
import { RATE_LIMIT_TTL_SLACK_MS, RedisRateLimiter } from '../../src/adapters/redis/rate-limiter.redis';
import { RateLimiterUnavailableError } from '../../src/ports/rate-limiter.port';
import { FixedClock } from '../support/fixed-clock';
import { requireService } from '../support/services';
import { describeRateLimiterContract, freshKey, toWindowOffset } from './rate-limiter.contract';

const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 1000), createRedisClient(url, 1000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));

describeRateLimiterContract('redis', () => {
  // Near real time so the relative TTLs the limiter sets are what production would see.
  const clock = new FixedClock(Date.now());
  return { limiter: new RedisRateLimiter(clients[0], clock), peer: new RedisRateLimiter(clients[1], clock), clock };
});

describe('the redis rate limiter', () => {
  test('every key it writes expires within the longest window plus the slack', async () => {
    const clock = new FixedClock(Date.now());
    const limiter = new RedisRateLimiter(clients[0], clock);
    const key = freshKey();
    toWindowOffset(clock, 0);
    await limiter.hit(key, 5, 60);
    const afterShort = await clients[0].pttl(rateLimitKey(key));
    expect(afterShort).toBeGreaterThan(60_000);
    expect(afterShort).toBeLessThanOrEqual(60_000 + RATE_LIMIT_TTL_SLACK_MS);
    // A longer window on the same key stretches the TTL; a later short-window hit does not shrink it.
    await limiter.hit(key, 5, 3600);
    await limiter.hit(key, 5, 60);
    const afterLong = await clients[0].pttl(rateLimitKey(key));
    expect(afterLong).toBeGreaterThan(60_000 + RATE_LIMIT_TTL_SLACK_MS);
    expect(afterLong).toBeLessThanOrEqual(3_600_000 + RATE_LIMIT_TTL_SLACK_MS);
  });

  test('a dead redis rejects with RateLimiterUnavailableError instead of allowing silently', async () => {
    const dead = createRedisClient('redis://127.0.0.1:1', 200);
    dead.on('error', () => {});
    try {
      const limiter = new RedisRateLimiter(dead, new FixedClock(Date.now()));
      expect(await limiter.hit(freshKey(), 5, 60).catch((e: unknown) => e)).toBeInstanceOf(RateLimiterUnavailableError);
    } finally {
      dead.disconnect();
    }
  });
});

describe('the redis rate limiter leases', () => {
  test('a replica reserves a block of hits, so another replica counts on after it', async () => {
    const clock = new FixedClock(Date.now());
    toWindowOffset(clock, 1000);
    const [a, b] = [new RedisRateLimiter(clients[0], clock), new RedisRateLimiter(clients[1], clock)];
    const key = freshKey();
    const lease = leaseSize(1000, 0);
    expect(await a.hit(key, 1000, 60)).toMatchObject({ allowed: true, remaining: 999 });
    expect(await b.hit(key, 1000, 60)).toMatchObject({ allowed: true, remaining: 1000 - lease - 1 });
    // The first replica spends its lease without asking Redis: the stored count stays where the leases put it.
    for (let i = 1; i < lease; i++) expect((await a.hit(key, 1000, 60)).remaining).toBe(999 - i);
    expect(Number(await clients[0].hget(rateLimitKey(key), '60:count'))).toBe(2 * lease);
  });

  test('once Redis has counted to the limit, the rest of the window is refused without another reservation', async () => {
    const clock = new FixedClock(Date.now());
    toWindowOffset(clock, 1000);
    const [a, b] = [new RedisRateLimiter(clients[0], clock), new RedisRateLimiter(clients[1], clock)];
    const key = freshKey();
    for (let i = 0; i < 3; i++) expect((await b.hit(key, 3, 60)).allowed).toBe(true);
    expect((await a.hit(key, 3, 60)).allowed).toBe(false);
    for (let i = 0; i < 5; i++) expect(await a.hit(key, 3, 60)).toMatchObject({ allowed: false, remaining: 0 });
    expect(Number(await clients[0].hget(rateLimitKey(key), '60:count'))).toBe(4);
    clock.advance(60_000);
    expect((await a.hit(key, 3, 60)).allowed).toBe(true);
  });
});
