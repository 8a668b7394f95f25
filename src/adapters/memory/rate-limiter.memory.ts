import { decide, fixedWindow } from '../../domain/access/fixed-window';
import type { Clock } from '../../ports/clock.port';
import type { RateLimitDecision, RateLimiter } from '../../ports/rate-limiter.port';

interface Counter {
  index: number;
  count: number;
  /** Epoch ms after which the window is over and the counter can go. */
  endsAt: number;
}

export interface MemoryRateLimiterOptions {
  clock: Clock;
  /** Tracked keys above which a hit first sweeps ended windows. */
  sweepAbove?: number;
}

/**
 * The embedded default and the test double: one process's counts, so only right for a single
 * replica. A hit never awaits, so it is atomic by construction. Memory stays bounded by the keys
 * active in their current window: ended windows are swept once the map grows past a threshold,
 * and the threshold doubles with the live set so sweeps cost O(1) per hit amortised.
 */
export class MemoryRateLimiter implements RateLimiter {
  /** limiter key -> window length in seconds -> counter. */
  private readonly keys = new Map<string, Map<number, Counter>>();
  private readonly minSweepAbove: number;
  private sweepAbove: number;

  constructor(private readonly opts: MemoryRateLimiterOptions) {
    this.minSweepAbove = opts.sweepAbove ?? 10_000;
    this.sweepAbove = this.minSweepAbove;
  }

  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitDecision> {
    const now = this.opts.clock.now();
    const window = fixedWindow(now, windowSeconds);
    if (this.keys.size > this.sweepAbove) this.sweep(now);
    const windows = this.keys.get(key) ?? new Map<number, Counter>();
    this.keys.set(key, windows);
    let counter = windows.get(windowSeconds);
    // Only a later window resets: a clock that stepped back keeps counting into the newer one,
    // as the Redis limiter does when a lagging replica meets a window another replica opened.
    if (!counter || window.index > counter.index) {
      counter = { index: window.index, count: 0, endsAt: now + window.msLeft };
      windows.set(windowSeconds, counter);
    }
    counter.count += 1;
    return decide(counter.count, limit, window);
  }

  private sweep(now: number): void {
    for (const [key, windows] of this.keys) {
      for (const [seconds, counter] of windows) if (counter.endsAt <= now) windows.delete(seconds);
      if (windows.size === 0) this.keys.delete(key);
    }
    this.sweepAbove = Math.max(this.minSweepAbove, this.keys.size * 2);
  }
}
