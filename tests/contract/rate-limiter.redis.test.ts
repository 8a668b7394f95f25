import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { rateLimitKey } from '../../src/adapters/redis/keys';
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
