import type { StudentRef } from './mastery-store.port';

/** What a served prediction was asked for, and of which state of the student's evidence. */
export interface PredictionKey {
  /**
   * Changes whenever an event is applied for the student and is the same on every replica (e.g.
   * the total event count and the latest event time over the student's topics). Read it before
   * the data the prediction is computed from, so an entry is never filed under a newer state than
   * the one it was computed from.
   */
  fingerprint: string;
  kind: 'next_week' | 'trajectory';
  /** The topics asked for, in any order; undefined for all of the student's topics. */
  topicIds?: readonly string[];
  /** The `as_of` asked for (epoch ms); undefined for "now". */
  asOf?: number;
  horizonDays: number;
}

/** A prediction document as it was cached. */
export interface CachedPrediction<T> {
  key: PredictionKey;
  value: T;
  /** When the data it was computed from began to be read (epoch ms): its age counts from then. */
  cachedAt: number;
}

/**
 * Served predictions kept for reuse, per student. Promises:
 * - an entry is found only under the same student, the same request and the same fingerprint: an
 *   event applied on any replica changes the fingerprint every replica computes next, so the old
 *   entry is never served again (it lapses with its TTL or is replaced).
 * - entries are served for at most the TTL (PREDICTION_CACHE_TTL_S) after `cachedAt`; missing,
 *   expired and evicted entries answer undefined, never throw. Capacity is bounded: an adapter may
 *   drop any entry at any time, so a miss is always a correct answer.
 * - values are JSON documents, stored and returned as copies; `T` is whatever was put under the key.
 * - `forgetStudent` removes every entry of the student at once (erasure) and refuses, for the
 *   TTL, a put whose `cachedAt` is at or before the erasure: a prediction read before an erasure
 *   and written after it cannot bring the student's data back. Idempotent.
 * - concurrent puts of one key keep one of the values whole.
 * - backend failures reject with StoreUnavailableError; a caller may serve uncached instead.
 */
export interface PredictionCache {
  getPrediction<T>(ref: StudentRef, key: PredictionKey): Promise<CachedPrediction<T> | undefined>;
  putPrediction<T>(ref: StudentRef, entry: CachedPrediction<T>): Promise<void>;
  /** Every entry of the student still within the TTL (for the export), ordered by request, as copies. */
  listCached(ref: StudentRef): Promise<CachedPrediction<unknown>[]>;
  forgetStudent(ref: StudentRef, at: number): Promise<void>;
}

/**
 * The request part of a key as one string: the same for the same request whatever the order of
 * its topics. Ids cannot contain `|` or `,` (ID_PATTERN), so parts cannot run into each other.
 */
export const requestFieldOf = (key: PredictionKey): string =>
  `${key.kind}|${key.horizonDays}|${key.asOf ?? 'now'}|${key.topicIds ? [...key.topicIds].sort().join(',') : '*'}`;

/** The key a request field was made from, with its fingerprint: for listing what is cached. */
export function keyOfRequestField(fingerprint: string, field: string): PredictionKey {
  const [kind, horizonDays, asOf, topics] = field.split('|') as [PredictionKey['kind'], string, string, string];
  return {
    fingerprint,
    kind,
    horizonDays: Number(horizonDays),
    ...(asOf === 'now' ? {} : { asOf: Number(asOf) }),
    ...(topics === '*' ? {} : { topicIds: topics.split(',') }),
  };
}
