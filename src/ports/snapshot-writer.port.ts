import type { Consent } from '../domain/compliance/consent';
import type { DaySnapshot, TopicState } from '../domain/mastery/topic-state';
import type { StudentRef } from './mastery-store.port';

/** A recalculated day snapshot, and the topic state it was computed from. */
export interface SnapshotWrite {
  topicId: string;
  /** The state read: the write stands only while the stored state still has this event count and latest time. */
  basis: { eventCount: number; lastAt: number };
  snapshot: DaySnapshot;
}

/**
 * `written`: stored as the topic's snapshot of its day. `unchanged`: an identical snapshot was
 * already there (a repeated recalculation). `stale`: the topic changed or vanished (an event, an
 * erasure, an expiry) since it was read; nothing was written, and the newer data stands.
 */
export type SnapshotWriteOutcome = 'written' | 'unchanged' | 'stale';

export interface SnapshotWriteResult {
  outcome: SnapshotWriteOutcome;
  /**
   * The topic's latest snapshot on or before the written day, as it was before this write, looking
   * back no further than the day of `basis.lastAt` (where the latest event's snapshot is); undefined
   * when there is none there or the write is stale.
   */
  previous?: DaySnapshot;
}

/** What a recalculation starts from for one student: their topics and their analytics consent. */
export interface StudentReading {
  /** As MasteryStore.listTopics reads them: empty for an unknown or erased student. */
  topics: Map<string, TopicState>;
  /** As MasteryStore.getConsent reads it: undefined when the student never chose. */
  consent: Consent | undefined;
}

/**
 * Records day snapshots that no event wrote: what a recalculation computed for a day without
 * events, so history and predictions see the days a learner was away. Promises:
 * - each write is atomic with its check of the basis, so a snapshot computed from a state that an
 *   event (on any replica) has since replaced, or that an erasure removed, is never stored: an
 *   erased student's history cannot come back, and an event's own snapshot is never overwritten
 *   by an older computation;
 * - a write changes nothing else (state, idempotency records, TTLs of other keys);
 * - one result per write, in the order given, with the snapshot it follows (to tell a change of
 *   level without reading the history); failures reject with StoreUnavailableError.
 * Kept apart from MasteryStore because only the batch recalculation needs it.
 */
export interface SnapshotWriter {
  /**
   * Topics and consent of many students, one answer per ref in the order given: what
   * listTopicsMany and getConsentMany answer, gathered so that a chunk of a batch pays for one
   * read instead of two per student. As with those two calls, the students are not read at one
   * common instant, nor need a student's topics and consent be (a consent change in between is
   * seen by the next recalculation). Failures reject with StoreUnavailableError.
   */
  readStudents(refs: readonly StudentRef[]): Promise<StudentReading[]>;
  recordSnapshots(ref: StudentRef, writes: readonly SnapshotWrite[]): Promise<SnapshotWriteResult[]>;
}
