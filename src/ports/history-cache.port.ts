import type { MasteryHistory } from '../domain/analytics/history';
import type { StudentRef } from './mastery-store.port';

/**
 * Mastery-history answers kept for reuse: a year of snapshots is the largest read the service
 * makes for one student, and teachers ask the same history again. Promises:
 * - an entry is found only under the same student and the same key; the caller puts the
 *   student's evidence fingerprint in the key (read before the snapshots), so an event applied on
 *   any replica changes the key every replica computes next and the old entry is never served.
 * - any entry may be missing (evicted, expired, never kept): a miss is always a correct answer.
 * - values are answers the caller treats as read-only; they are not copied.
 * - `forgetStudent` drops the student's entries at once (erasure) and refuses a put of an answer
 *   whose read began at or before the erasure, so an answer read before it is not kept after.
 */
export interface HistoryCache {
  get(ref: StudentRef, key: string): MasteryHistory | undefined;
  /** `readAt`: when the data the answer was computed from began to be read (epoch ms). */
  put(ref: StudentRef, key: string, history: MasteryHistory, readAt: number): void;
  forgetStudent(ref: StudentRef, at: number): void;
}
