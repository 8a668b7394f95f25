import { decide, fixedWindow } from '../../domain/access/fixed-window';
import type { Clock } from '../../ports/clock.port';
import { RateLimiterUnavailableError, type RateLimitDecision, type RateLimiter } from '../../ports/rate-limiter.port';
import { RATE_LIMIT_TTL_SLACK_MS } from '../redis/rate-limiter.redis';
import { rateLimitDaprKey } from './keys';
import type { DaprState } from './state';

/** window length (s) -> the window's index, its count and when it ends (epoch ms). */
type Windows = Record<string, { index: number; count: number; endsAt: number }>;

/**
 * RateLimiter on a Dapr state store, shared by all replicas: one document per limiter key, counted
 * by an ETag-conditioned write, so concurrent hits retry instead of losing increments. A hit costs
 * a read and a write through the sidecar (Redis: one script call). The document expires with its
 * longest window plus the clock-skew slack.
 */
export class DaprRateLimiter implements RateLimiter {
  constructor(
    private readonly state: DaprState,
    private readonly clock: Clock,
  ) {}

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const now = this.clock.now();
    const window = fixedWindow(now, windowSeconds);
    try {
      const count = await this.state.update<Windows, number>(rateLimitDaprKey(key), (doc) => {
        const next: Windows = {};
        for (const [w, c] of Object.entries(doc ?? {})) if (c.endsAt + RATE_LIMIT_TTL_SLACK_MS > now) next[w] = c;
        const current = next[windowSeconds];
        // Only a later window resets, as in the other limiters: a lagging clock keeps counting into the newer one.
        const counter = !current || window.index > current.index ? { index: window.index, count: 0, endsAt: now + window.msLeft } : { ...current };
        counter.count += 1;
        next[windowSeconds] = counter;
        const ttlMs = Math.max(...Object.values(next).map((c) => c.endsAt - now)) + RATE_LIMIT_TTL_SLACK_MS;
        return { value: next, ttlSeconds: ttlMs / 1000, result: counter.count };
      });
      return decide(count, limit, window);
    } catch (err) {
      throw new RateLimiterUnavailableError(`dapr state: ${(err as Error).message}`, { cause: err });
    }
  }
}
