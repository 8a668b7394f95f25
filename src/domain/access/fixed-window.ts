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

/** The most hits one replica reserves for one key at once: one Redis round trip per this many hits at best. */
export const MAX_LEASE = 64;
/** A lease takes at most this fraction (1/n) of what was left of the quota when it was taken. */
export const LEASE_SHARE = 16;

/**
 * How many hits of a window a replica reserves in one step, given the count it last saw there
 * (a lower bound of the true count: other replicas only add to it). Leases shrink as the quota
 * runs out, so the hits one replica holds unspent, which another replica may find refused
 * before the limit is reached, are at most max(1, floor(limit / LEASE_SHARE)) and at most
 * MAX_LEASE: the limit itself is never exceeded, since every hit spends a position of its own.
 */
export function leaseSize(limit: number, seen: number): number {
  return Math.max(1, Math.min(MAX_LEASE, Math.floor((limit - seen) / LEASE_SHARE)));
}
