import type { StudentRef } from './mastery-store.port';

/**
 * Answers about one student kept for reuse, under a key the caller computes: mastery-history
 * answers (a year of snapshots is the largest read the service makes for one student, and
 * teachers ask the same history again) and rendered mastery answers (the most frequent read).
 * Promises:
 * - an entry is found only under the same student and the same key; the caller puts the
 *   student's evidence token in the key (read before the data), so an event applied on any
 *   replica changes the key every replica computes next and the old entry is never served.
 * - any entry may be missing (evicted, expired, never kept): a miss is always a correct answer.
 * - values are answers the caller treats as read-only; they are not copied.
 * - `forgetStudent` drops the student's entries at once (erasure) and refuses a put of an answer
 *   whose read began at or before the erasure, so an answer read before it is not kept after.
 */
export interface AnswerCache<T> {
  get(ref: StudentRef, key: string): T | undefined;
  /** `readAt`: when the data the answer was computed from began to be read (epoch ms). */
  put(ref: StudentRef, key: string, answer: T, readAt: number): void;
  forgetStudent(ref: StudentRef, at: number): void;
}
