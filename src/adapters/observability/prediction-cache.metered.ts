import type { StudentRef } from '../../ports/mastery-store.port';
import type { CachedPrediction, PredictionCache, PredictionKey } from '../../ports/prediction-cache.port';
import type { Metrics } from './metrics';

/**
 * Counts hits and misses of the cache it wraps, for the hit ratio in /metrics and
 * /metrics/detailed; otherwise the inner cache's contract, unchanged. The counts are this
 * instance's lookups: Prometheus sums them over replicas.
 */
export class MeteredPredictionCache implements PredictionCache {
  constructor(
    private readonly inner: PredictionCache,
    private readonly lookups: Metrics['predictionCacheLookups'],
  ) {}

  async getPrediction<T>(ref: StudentRef, key: PredictionKey): Promise<CachedPrediction<T> | undefined> {
    const found = await this.inner.getPrediction<T>(ref, key);
    this.lookups.inc({ result: found ? 'hit' : 'miss' });
    return found;
  }

  putPrediction<T>(ref: StudentRef, entry: CachedPrediction<T>): Promise<void> {
    return this.inner.putPrediction(ref, entry);
  }

  listCached(ref: StudentRef): Promise<CachedPrediction<unknown>[]> {
    return this.inner.listCached(ref);
  }

  forgetStudent(ref: StudentRef, at: number): Promise<void> {
    return this.inner.forgetStudent(ref, at);
  }
}
