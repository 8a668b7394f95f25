import type { Consent } from '../domain/compliance/consent';
import type { DaySnapshot, TopicState } from '../domain/mastery/topic-state';

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

/**
 * `erased`: the event occurred before the student's data was erased, so applying it would bring
 * the data back. `no_consent`: the student has not consented to analytics.
 */
export type ApplyOutcome = { kind: 'applied'; state: TopicState } | { kind: 'duplicate' } | { kind: 'erased' } | { kind: 'no_consent' };

export interface ApplyRequest extends StudentRef {
  topicId: string;
  eventId: string;
  /** Processing time (epoch ms): idempotency records are kept from here for the retention period. */
  now: number;
  /** occurred_at of the event (epoch ms), compared with the time of an erasure. */
  occurredAt: number;
  /** Whether a student who never set their consent counts as consenting to analytics. */
  consentByDefault: boolean;
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
 *   may run more than once when concurrent writers race. In the same atomic step it refuses an
 *   event that occurred at or before the student's erasure (`erased`) and, without consent,
 *   any event (`no_consent`); neither changes state.
 * - Reads of an unknown student or topic answer undefined or empty, never throw.
 * - Every value returned is a copy the caller may mutate freely.
 * - Failures of the backing service reject with StoreUnavailableError (transient: retry later).
 */
export interface MasteryStore {
  applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome>;
  getTopic(ref: StudentRef, topicId: string): Promise<TopicState | undefined>;
  /** All topics the student has state in, keyed by topic id. */
  listTopics(ref: StudentRef): Promise<Map<string, TopicState>>;
  /**
   * listTopics for many students in one round trip (cohort analytics): one map per ref, in the
   * order given. Each student's map is read as listTopics reads it; the students are not read
   * at one common instant.
   */
  listTopicsMany(refs: readonly StudentRef[]): Promise<Map<string, TopicState>[]>;
  /**
   * A short token of the student's topic states, for keying caches of answers computed from them:
   * it changes whenever an event is applied to any of their topics (through any handle or
   * replica) and when they are erased or expire, and two reads that answer the same token saw the
   * same topic states. Cheaper than listTopics where the backend can compute it without sending
   * the states. Tokens are comparable only within one backend.
   */
  evidenceToken(ref: StudentRef): Promise<string>;
  /** Day snapshots, ascending by topic then day. */
  getHistory(query: HistoryQuery): Promise<DaySnapshot[]>;
  /**
   * The student's recorded consent, or undefined when they never set it. A grant lives as long as
   * the state (STATE_TTL_DAYS after the last activity); a withdrawal lasts until the student grants
   * again, through any TTL and any erasure.
   */
  getConsent(ref: StudentRef): Promise<Consent | undefined>;
  /** getConsent for many students in one round trip: one answer per ref, in the order given. */
  getConsentMany(refs: readonly StudentRef[]): Promise<(Consent | undefined)[]>;
  setConsent(ref: StudentRef, consent: Consent): Promise<void>;
  /**
   * Forgets everything about the student (state, history, idempotency records, a consent grant) and
   * remembers, under a pseudonym only, that they were erased at `at`, so late events that occurred
   * before then are refused, and that they withdrew consent if they did, so nothing is processed
   * until they grant it again. Atomic and idempotent; the latest erasure time wins.
   */
  eraseStudent(ref: StudentRef, at: number): Promise<void>;
  /** The time of the student's latest erasure while it is remembered (the erasure retention), else undefined. */
  erasedAt(ref: StudentRef): Promise<number | undefined>;
  /**
   * Of `refs`, the students whose latest remembered erasure is at or after `since`, in the order
   * given: what erasedAt answers for each, in a few reads for a whole list (the Kafka consumer asks
   * this after every batch). An erasure is counted once `eraseStudent` has resolved, whichever
   * handle or replica made it.
   */
  erasedSince(refs: readonly StudentRef[], since: number): Promise<StudentRef[]>;
}

/** The store's backing service is unreachable, slow or refusing: the operation may succeed later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
