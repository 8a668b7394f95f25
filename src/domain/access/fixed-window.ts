import type { RateLimitDecision } from '../../ports/rate-limiter.port';

/**
 * Fixed windows aligned to the epoch (index = floor(now / window)), so every replica and every
 * implementation of the rate limiter agrees on where a window starts without sharing state.
 */
export interface FixedWindow {
  index: number;
  /** Milliseconds from `now` to the end of the window, in (0, window]. */
  msLeft: number;
}

export function fixedWindow(now: number, windowSeconds: number): FixedWindow {
  if (!(windowSeconds > 0) || !Number.isFinite(windowSeconds)) throw new RangeError(`window must be a positive number of seconds, got ${windowSeconds}`);
  const windowMs = windowSeconds * 1000;
  const index = Math.floor(now / windowMs);
  return { index, msLeft: (index + 1) * windowMs - now };
}

/** The verdict for the `count`-th request of a window (counting from 1). */
export function decide(count: number, limit: number, window: FixedWindow): RateLimitDecision {
  return {
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    resetSeconds: Math.max(1, Math.ceil(window.msLeft / 1000)),
  };
}
