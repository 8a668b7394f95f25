import type { FeedbackStatus } from '../domain/recommendation/effect';
import type { Recommendation } from '../domain/recommendation/rules';
import type { StudentRef } from './mastery-store.port';

/** A recommendation as it was served: with its id and when it was generated. */
export interface ServedRecommendation extends Recommendation {
  recommendationId: string;
  servedAt: number;
}

export interface RecommendationFeedback {
  status: FeedbackStatus;
  helpful?: boolean;
  /** When it was given (epoch ms). */
  at: number;
}

/** A served recommendation with the latest feedback on it, if any. */
export interface RecommendationRecord extends ServedRecommendation {
  feedback?: RecommendationFeedback;
}

/**
 * One generated answer. `key` names what it answers (the student's event fingerprint, the day,
 * the topics and limit asked): a cached set is served only for the same key (the caller compares
 * it), so an event applied by any replica changes the key and leaves the old entry unused.
 */
export interface ServedSet {
  key: string;
  generatedAt: number;
  recommendations: ServedRecommendation[];
}

/**
 * `recorded`: the set is now the cache entry and its recommendations are in the history.
 * `existing`: a fresh entry under the same key was already there (another request or replica got
 * there first); nothing was written, and that set is the answer. `erased`: the student was erased
 * at or after `erasedSince`, so the set was computed from data that is gone; nothing was written.
 */
export type RecordOutcome = { kind: 'recorded' } | { kind: 'existing'; set: ServedSet } | { kind: 'erased' };

/**
 * Where served recommendations, their feedback and the latest answer (the cache) live, per
 * student. Promises:
 * - `record` is atomic: the check for a fresh entry under the same key, the erasure check, the
 *   cache write and the history write happen in one step, so two replicas generating the same
 *   answer at once end with one set, which both serve.
 * - The cache entry (`latest`) is read back for `cacheTtlMs` after its generation (expiry is part
 *   of the state: `now` decides, whatever the backend's own timers do), whatever its key: the
 *   caller serves it only when the key is the one it computed. Needing no key, the read can go
 *   out together with the state read the key is computed from.
 * - History records live `retentionMs` after they were served, the newest `maxRecords` at most.
 * - `feedback` replaces the earlier feedback on a record; `not_found` for an unknown or expired id.
 * - `eraseStudent` forgets cache, history and feedback in one step and remembers the erasure
 *   (by pseudonym only) for the erasure retention, so a `record` racing it cannot bring them back.
 * - Reads of an unknown student answer empty; values returned are copies; backend failures reject
 *   with StoreUnavailableError.
 */
export interface RecommendationStore {
  /** The latest recorded set while within the cache TTL as of `now`, else undefined. */
  latest(ref: StudentRef, now: number): Promise<ServedSet | undefined>;
  record(ref: StudentRef, set: ServedSet, erasedSince: number): Promise<RecordOutcome>;
  feedback(ref: StudentRef, recommendationId: string, feedback: RecommendationFeedback): Promise<'recorded' | 'not_found'>;
  /** Records served within the retention as of `now`, newest first. */
  history(ref: StudentRef, now: number): Promise<RecommendationRecord[]>;
  eraseStudent(ref: StudentRef, at: number): Promise<void>;
}
