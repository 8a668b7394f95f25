/** The verdict on one request against a fixed-window quota. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the current window after this one (0 when refused). */
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
}

/**
 * Counts requests per key in fixed windows. Promises:
 * - `hit` counts one request and answers whether it is within `limit` for the current window of
 *   `windowSeconds`; concurrent hits on one key are all counted (no lost increments), and no more
 *   than `limit` hits of one window are ever allowed, whichever replicas they reach.
 * - a shared implementation may reserve hits for one replica ahead of use (a lease, to save round
 *   trips); a hit can then be refused while other replicas hold unspent reservations, at most
 *   max(1, floor(limit / LEASE_SHARE)) and never more than MAX_LEASE per other replica
 *   (src/domain/access/fixed-window.ts). A single-process implementation refuses none early.
 * - keys are opaque strings; different keys never share a count. Callers name principals by
 *   pseudonym, so a count needs no erasure: it names no one and lapses with its window.
 * - a failing backend rejects (the caller decides whether to fail open or closed).
 */
export interface RateLimiter {
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision>;
}

/** The counting backend is unreachable or failed; the caller chooses to fail open or closed. */
export class RateLimiterUnavailableError extends Error {
  override readonly name = 'RateLimiterUnavailableError';
}
