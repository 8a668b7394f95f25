import { describe, expect, test } from 'bun:test';
import { MemoryRateLimiter } from '../../src/adapters/memory/rate-limiter.memory';
import { FixedClock } from '../support/fixed-clock';
import { describeRateLimiterContract, freshKey } from './rate-limiter.contract';

describeRateLimiterContract('in-memory', () => {
  const clock = new FixedClock(Date.now());
  return { limiter: new MemoryRateLimiter({ clock }), clock };
});

describe('the in-memory rate limiter', () => {
  test('sweeps keys whose windows have ended once it tracks more than the threshold', async () => {
    const clock = new FixedClock(Date.now());
    const limiter = new MemoryRateLimiter({ clock, sweepAbove: 10 });
    for (let i = 0; i < 11; i++) await limiter.hit(freshKey(), 5, 1);
    expect(limiter['keys'].size).toBe(11);
    clock.advance(1000);
    await limiter.hit(freshKey(), 5, 1);
    expect(limiter['keys'].size).toBe(1);
  });

  test('keeps counting keys whose windows are still open when it sweeps', async () => {
    const clock = new FixedClock(Date.now());
    const limiter = new MemoryRateLimiter({ clock, sweepAbove: 1 });
    const key = freshKey();
    await limiter.hit(key, 1, 3600);
    await limiter.hit(freshKey(), 1, 3600);
    await limiter.hit(freshKey(), 1, 3600);
    expect((await limiter.hit(key, 1, 3600)).allowed).toBe(false);
  });
});
