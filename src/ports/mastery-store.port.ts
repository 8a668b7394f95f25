import type { DaySnapshot, TopicState } from '../domain/topic-state';

/** Names one student inside one tenant: every read, write and erasure is scoped by both. */
export interface StudentRef {
  tenantId: string;
  studentId: string;
}

/** What an apply writes: the topic's new state and the day snapshot that goes with it. */
export interface TopicChange {
  state: TopicState;
  snapshot: DaySnapshot;
}

export type ApplyOutcome = { kind: 'applied'; state: TopicState } | { kind: 'duplicate' };

export interface ApplyRequest extends StudentRef {
  topicId: string;
  eventId: string;
  /** Processing time (epoch ms): idempotency records are kept from here for the retention period. */
  now: number;
}

export interface HistoryQuery extends StudentRef {
  topicId?: string;
  /** Inclusive UTC dates, YYYY-MM-DD. */
  fromDay?: string;
  toDay?: string;
}

/**
 * Where mastery state lives. Promises:
 * - applyEvent is atomic and idempotent by (tenant, student, eventId): `change` sees the topic's
 *   current state (undefined when absent) and its result is stored with the event id in one
 *   step; a repeated event id answers `duplicate` and changes nothing. `change` must be pure: it
 *   may run more than once when concurrent writers race.
 * - Reads of an unknown student or topic answer undefined or empty, never throw.
 * - Every value returned is a copy the caller may mutate freely.
 * - Failures of the backing service reject with StoreUnavailableError (transient: retry later).
 */
export interface MasteryStore {
  applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome>;
  getTopic(ref: StudentRef, topicId: string): Promise<TopicState | undefined>;
  /** All topics the student has state in, keyed by topic id. */
  listTopics(ref: StudentRef): Promise<Map<string, TopicState>>;
  /** Day snapshots, ascending by topic then day. */
  getHistory(query: HistoryQuery): Promise<DaySnapshot[]>;
  /** Forgets everything about the student: state, history and idempotency records. Idempotent. */
  deleteStudent(ref: StudentRef): Promise<void>;
}

/** The store's backing service is unreachable, slow or refusing: the operation may succeed later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
