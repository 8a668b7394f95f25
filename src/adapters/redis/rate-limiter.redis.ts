import type { RedisClient } from './client';
import { decide, fixedWindow } from '../../domain/access/fixed-window';
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

type HitFn = (key: string, windowSeconds: number, windowIndex: number, ttlMs: number) => Promise<number>;
type RedisWithHit = RedisClient & { rateLimitHit: HitFn };

/**
 * RateLimiter on Redis, shared by all replicas: one Lua call per hit counts it and sets the TTL.
 * Windows come from the injected Clock, not Redis TIME, so this and the in-memory limiter behave
 * identically under one contract suite; replicas agree on windows as long as their clocks are
 * roughly in sync (NTP), and the TTL is relative, so a skewed clock cannot expire a key early.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisWithHit;

  constructor(
    redis: RedisClient,
    private readonly clock: Clock,
  ) {
    redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: hitScript });
    this.redis = redis as RedisWithHit;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const window = fixedWindow(this.clock.now(), windowSeconds);
    const ttlMs = Math.ceil(window.msLeft) + RATE_LIMIT_TTL_SLACK_MS;
    const count = await guard(() => this.redis.rateLimitHit(rateLimitKey(key), windowSeconds, window.index, ttlMs), RateLimiterUnavailableError);
    return decide(count, limit, window);
  }
}
