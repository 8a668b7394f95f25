import type CircuitBreaker from 'opossum';

/** A cheap question to the backing store, asked every `everyMs` while its breaker is open. */
export interface RecoveryProbe {
  probe: () => Promise<unknown>;
  everyMs: number;
}

/**
 * Closes `breaker` as soon as the store answers again, instead of waiting out `resetTimeout` and a
 * trial call (seconds of refusals after the store is back). On every 'open', asks `recovery.probe`
 * every `recovery.everyMs` until an answer comes within `timeoutMs` (then closes the breaker), the
 * breaker closes by itself, or it is shut down; one loop at a time.
 */
export function closeWhenProbeAnswers<A extends unknown[], R>(breaker: CircuitBreaker<A, R>, recovery: RecoveryProbe, timeoutMs: number): void {
  let recovering = false;
  const recover = async (): Promise<void> => {
    if (recovering) return;
    recovering = true;
    try {
      while (!breaker.isShutdown && !breaker.closed) {
        if (await answersWithin(recovery.probe, timeoutMs)) {
          if (!breaker.isShutdown) breaker.close();
          return;
        }
        await new Promise((r) => setTimeout(r, recovery.everyMs).unref());
      }
    } finally {
      recovering = false;
    }
  };
  breaker.on('open', () => void recover());
}

/** Whether `probe` resolves within `timeoutMs`; a hung probe counts as no answer. */
async function answersWithin(probe: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: Timer | undefined;
  try {
    return await Promise.race([
      probe().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
