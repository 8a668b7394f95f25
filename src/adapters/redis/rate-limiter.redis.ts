import type { RedisClient } from './client';
import { decide, fixedWindow, leaseSize, type FixedWindow } from '../../domain/access/fixed-window';
import type { Clock } from '../../ports/clock.port';
import { RateLimiterUnavailableError, type RateLimitDecision, type RateLimiter } from '../../ports/rate-limiter.port';
import { guard } from './guard';
import { rateLimitKey } from './keys';
import hitScript from './rate-limit.lua' with { type: 'text' };

/**
 * How long a counter outlives its window: the clock skew between replicas we tolerate before a
 * lagging replica finds its window's count gone and starts it again from zero.
 */
export const RATE_LIMIT_TTL_SLACK_MS = 5_000;

type ReserveFn = (key: string, windowSeconds: number, windowIndex: number, ttlMs: number, hits: number) => Promise<number>;
type RedisWithReserve = RedisClient & { rateLimitReserve: ReserveFn };

interface Waiter {
  limit: number;
  window: FixedWindow;
  resolve: (d: RateLimitDecision) => void;
  reject: (err: unknown) => void;
}

/** This replica's reserved positions of one (key, window length) in one window. */
interface Lease {
  key: string;
  windowSeconds: number;
  index: number;
  /** The next reserved position to hand out, and the last one reserved. */
  next: number;
  last: number;
  /** The highest count Redis answered in this window: a lower bound of the true count. */
  seen: number;
  /** Hits waiting for the reservation in flight (at most one per lease at a time). */
  waiting: Waiter[];
  reserving: boolean;
  /** Epoch ms at which the window is over and the lease can go. */
  endsAt: number;
}

/** Tracked leases above which a hit first sweeps those of ended windows. */
const SWEEP_ABOVE = 10_000;

/**
 * RateLimiter on Redis, shared by all replicas. Each hit spends a position in its window's count,
 * and positions are reserved from Redis in leases (one Lua call reserves a block, see
 * rate-limit.lua), so most hits cost no round trip. Every position is handed out once across all
 * replicas, so more than `limit` hits are never allowed in a window. What a replica holds unspent
 * another cannot use: a hit may be refused while up to max(1, floor(limit / LEASE_SHARE)), at most
 * MAX_LEASE, positions per other replica are unspent (see leaseSize); leases shrink as the quota
 * runs out, so near the limit hits go to Redis one by one. Once Redis answers a count at or above
 * the limit, the rest of that window is refused here without asking again: counts only grow
 * within a window. Windows come from the injected Clock, not Redis TIME, so this and the
 * in-memory limiter behave identically under one contract suite; replicas agree on windows as long
 * as their clocks are roughly in sync (NTP), and the TTL is relative, so a skewed clock cannot
 * expire a key early.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisWithReserve;
  /** `${windowSeconds}:${key}` -> the lease of the newest window this replica has seen. */
  private readonly leases = new Map<string, Lease>();
  private sweepAbove = SWEEP_ABOVE;

  constructor(
    redis: RedisClient,
    private readonly clock: Clock,
  ) {
    redis.defineCommand('rateLimitReserve', { numberOfKeys: 1, lua: hitScript });
    this.redis = redis as RedisWithReserve;
  }

  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const now = this.clock.now();
    const window = fixedWindow(now, windowSeconds);
    if (this.leases.size > this.sweepAbove) this.sweep(now);
    const id = `${windowSeconds}:${key}`;
    let lease = this.leases.get(id);
    // A clock that stepped back keeps counting into the newer window, as the script does.
    if (!lease || window.index > lease.index) {
      lease = { key, windowSeconds, index: window.index, next: 1, last: 0, seen: 0, waiting: [], reserving: false, endsAt: now + window.msLeft };
      this.leases.set(id, lease);
    }
    if (lease.waiting.length === 0 && lease.next <= lease.last) return Promise.resolve(decide(lease.next++, limit, window));
    if (lease.waiting.length === 0 && lease.seen >= limit) return Promise.resolve(decide(lease.seen + 1, limit, window));
    return new Promise((resolve, reject) => {
      lease.waiting.push({ limit, window, resolve, reject });
      if (!lease.reserving) void this.reserve(lease);
    });
  }

  /** Reserves blocks until every waiting hit has its position (or is refused, or the call fails). */
  private async reserve(lease: Lease): Promise<void> {
    lease.reserving = true;
    try {
      while (lease.waiting.length > 0) {
        const hits = leaseSize(lease.waiting[0]!.limit, lease.seen);
        const ttlMs = Math.max(0, Math.ceil(lease.endsAt - this.clock.now())) + RATE_LIMIT_TTL_SLACK_MS;
        const count = await guard(() => this.redis.rateLimitReserve(rateLimitKey(lease.key), lease.windowSeconds, lease.index, ttlMs, hits), RateLimiterUnavailableError);
        lease.seen = Math.max(lease.seen, count);
        lease.next = count - hits + 1;
        lease.last = count;
        while (lease.waiting.length > 0) {
          const w = lease.waiting[0]!;
          if (lease.next <= lease.last) lease.waiting.shift()!.resolve(decide(lease.next++, w.limit, w.window));
          else if (lease.seen >= w.limit) lease.waiting.shift()!.resolve(decide(lease.seen + 1, w.limit, w.window));
          else break;
        }
      }
    } catch (err) {
      for (const w of lease.waiting.splice(0)) w.reject(err);
    } finally {
      lease.reserving = false;
    }
  }

  /** Forgets leases of ended windows; the threshold doubles with the live set, so O(1) per hit amortised. */
  private sweep(now: number): void {
    for (const [id, lease] of this.leases) if (lease.endsAt <= now && !lease.reserving) this.leases.delete(id);
    this.sweepAbove = Math.max(SWEEP_ABOVE, this.leases.size * 2);
  }
}
