import { describe, expect, test } from 'bun:test';
import { LEASE_SHARE, MAX_LEASE } from '../../src/domain/access/fixed-window';
import type { RateLimiter } from '../../src/ports/rate-limiter.port';
import type { FixedClock } from '../support/fixed-clock';
import { uniqueId } from '../support/services';

export interface LimiterUnderTest {
  limiter: RateLimiter;
  /** A second handle on the same counts (another connection or replica), when the backend has one. */
  peer?: RateLimiter;
  /** The clock both handles read; near real time, so a real backend's TTLs stay sane. */
  clock: FixedClock;
}

const WINDOW_S = 60;
const WINDOW_MS = WINDOW_S * 1000;

/** Moves the clock to `offsetMs` into the window it is in. */
export const toWindowOffset = (clock: FixedClock, offsetMs: number): void =>
  clock.set(Math.floor(clock.now() / WINDOW_MS) * WINDOW_MS + offsetMs);

/** A limiter key no other test (or parallel suite on the same server) uses. */
export const freshKey = (): string => uniqueId('principal');

/**
 * The behaviour every RateLimiter must have, run against each implementation: the in-memory
 * limiter and Redis. A fake that drifts from the real limiter fails here.
 */
export function describeRateLimiterContract(name: string, setup: () => LimiterUnderTest) {
  describe(`RateLimiter contract: ${name}`, () => {
    test('the first `limit` hits are allowed, counting down to 0, and the next are refused', async () => {
      const { limiter, clock } = setup();
      toWindowOffset(clock, 1000);
      const key = freshKey();
      const decisions = [];
      for (let i = 0; i < 7; i++) decisions.push(await limiter.hit(key, 5, WINDOW_S));
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 4],
        [true, 3],
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
      ]);
      expect(decisions.every((d) => d.limit === 5)).toBe(true);
    });

    test('resetSeconds counts down to the end of the clock-aligned window, never below 1', async () => {
      const { limiter, clock } = setup();
      const key = freshKey();
      toWindowOffset(clock, 0);
      expect((await limiter.hit(key, 100, WINDOW_S)).resetSeconds).toBe(WINDOW_S);
      toWindowOffset(clock, 1500);
      expect((await limiter.hit(key, 100, WINDOW_S)).resetSeconds).toBe(59);
      toWindowOffset(clock, WINDOW_MS - 1);
      expect((await limiter.hit(key, 100, WINDOW_S)).resetSeconds).toBe(1);
    });

    test('windows are aligned to the clock, not to the first hit: the next window allows again', async () => {
      const { limiter, clock } = setup();
      const key = freshKey();
      toWindowOffset(clock, WINDOW_MS - 10);
      await limiter.hit(key, 2, WINDOW_S);
      await limiter.hit(key, 2, WINDOW_S);
      expect((await limiter.hit(key, 2, WINDOW_S)).allowed).toBe(false);
      clock.advance(10);
      expect(await limiter.hit(key, 2, WINDOW_S)).toEqual({ allowed: true, limit: 2, remaining: 1, resetSeconds: WINDOW_S });
    });

    test('a clock stepping back into an earlier window does not reset the count', async () => {
      const { limiter, clock } = setup();
      const key = freshKey();
      toWindowOffset(clock, 0);
      await limiter.hit(key, 2, WINDOW_S);
      await limiter.hit(key, 2, WINDOW_S);
      clock.advance(-1);
      expect((await limiter.hit(key, 2, WINDOW_S)).allowed).toBe(false);
    });

    test('keys never share a count', async () => {
      const { limiter } = setup();
      const [a, b] = [freshKey(), freshKey()];
      await limiter.hit(a, 1, WINDOW_S);
      expect((await limiter.hit(a, 1, WINDOW_S)).allowed).toBe(false);
      expect(await limiter.hit(b, 1, WINDOW_S)).toMatchObject({ allowed: true, remaining: 0 });
      // A key that extends another is a different key, not a prefix match.
      expect((await limiter.hit(`${a}:x`, 1, WINDOW_S)).allowed).toBe(true);
    });

    test('one key under two window lengths keeps two counts', async () => {
      const { limiter, clock } = setup();
      toWindowOffset(clock, 1000);
      const key = freshKey();
      await limiter.hit(key, 1, WINDOW_S);
      expect((await limiter.hit(key, 1, WINDOW_S)).allowed).toBe(false);
      expect(await limiter.hit(key, 10, 3600)).toMatchObject({ allowed: true, remaining: 9 });
    });

    test('200 concurrent hits with limit 50 allow exactly 50', async () => {
      const { limiter, peer, clock } = setup();
      toWindowOffset(clock, 1000);
      const other = peer ?? limiter;
      const key = freshKey();
      const decisions = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? limiter : other).hit(key, 50, WINDOW_S)));
      const allowed = decisions.filter((d) => d.allowed);
      expect(allowed.length).toBe(50);
      expect(new Set(allowed.map((d) => d.remaining)).size).toBe(50);
      expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0)).toBe(true);
    });

    test('hits taking turns over two handles never pass the limit, and are refused early by at most one lease', async () => {
      const { limiter, peer, clock } = setup();
      toWindowOffset(clock, 1000);
      const other = peer ?? limiter;
      const key = freshKey();
      const limit = 1000;
      let allowed = 0;
      for (let i = 0; i < 1200; i++) if ((await (i % 2 ? limiter : other).hit(key, limit, WINDOW_S)).allowed) allowed += 1;
      expect(allowed).toBeLessThanOrEqual(limit);
      // What the other handle holds unspent when one runs out (see leaseSize).
      expect(allowed).toBeGreaterThanOrEqual(limit - Math.min(MAX_LEASE, Math.floor(limit / LEASE_SHARE)));
    });
  });
}
