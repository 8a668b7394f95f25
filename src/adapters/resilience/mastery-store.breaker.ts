import CircuitBreaker from 'opossum';
import type { Consent } from '../../domain/compliance/consent';
import type { TopicState } from '../../domain/mastery/topic-state';
import {
  StoreUnavailableError,
  type ApplyOutcome,
  type ApplyRequest,
  type HistoryQuery,
  type MasteryStore,
  type StudentRef,
  type TopicChange,
} from '../../ports/mastery-store.port';
import type { SnapshotWrite, SnapshotWriteResult, SnapshotWriter, StudentReading } from '../../ports/snapshot-writer.port';
import { closeWhenProbeAnswers, type RecoveryProbe } from './breaker-recovery';

export interface BreakerOptions {
  name: string;
  /** A call slower than this counts as a failure: a frozen store must fail fast, not hang callers. */
  timeoutMs: number;
  /** How long the breaker stays open before letting one trial call through. */
  resetMs: number;
  /** Failure percentage over the rolling window that opens the breaker. */
  errorThresholdPercentage?: number;
  /** Calls in the window before the percentage is trusted, so one early failure cannot open it. */
  volumeThreshold?: number;
  /**
   * A cheap question to the store (a PING), asked every `everyMs` while the breaker is not
   * closed; the first answer within `timeoutMs` closes it. Without it, calls resume only after
   * `resetMs` and a trial call: seconds of refusals after the store is back.
   */
  recovery?: RecoveryProbe;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerStatus {
  name: string;
  state: BreakerState;
  failures: number;
  successes: number;
  rejects: number;
  timeouts: number;
}

/**
 * The same MasteryStore, and the SnapshotWriter over it that batch recalculation uses, behind one
 * opossum circuit breaker: both talk to the same store, so they fail and recover together. While
 * the backing store is failing, calls are refused at once with StoreUnavailableError instead of
 * piling up on timeouts. It closes again when the recovery probe gets an answer, or (without one)
 * after `resetMs` when one trial call succeeds.
 */
export class BreakerMasteryStore implements MasteryStore, SnapshotWriter {
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;

  constructor(
    private readonly inner: MasteryStore & SnapshotWriter,
    private readonly opts: BreakerOptions,
  ) {
    this.breaker = new CircuitBreaker((op: () => Promise<unknown>) => op(), {
      name: opts.name,
      timeout: opts.timeoutMs,
      resetTimeout: opts.resetMs,
      errorThresholdPercentage: opts.errorThresholdPercentage ?? 50,
      volumeThreshold: opts.volumeThreshold ?? 5,
      rollingCountTimeout: 10_000,
      // Latency percentiles are not read (status() reports counts), and keeping them costs a
      // pushed time per call and, on every failure, a concatenation and sort of the window's
      // times: the Kafka bench's CPU profile showed it once Redis slowed down.
      rollingPercentilesEnabled: false,
    });
    if (opts.recovery) closeWhenProbeAnswers(this.breaker, opts.recovery, opts.timeoutMs);
  }

  /** Subscribe to state changes (for logs and metrics). */
  onStateChange(listener: (state: BreakerState) => void): void {
    onBreakerStateChange(this.breaker, listener);
  }

  status(): BreakerStatus {
    return breakerStatus(this.breaker, this.opts.name);
  }

  /** Stops the breaker's timers so the process can exit. */
  shutdown(): void {
    this.breaker.shutdown();
  }

  private call<T>(op: () => Promise<T>): Promise<T> {
    return fireAsStore(this.breaker, op, this.opts.name, this.opts.timeoutMs);
  }

  applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    return this.call(() => this.inner.applyEvent(req, change));
  }
  getTopic(ref: StudentRef, topicId: string): Promise<TopicState | undefined> {
    return this.call(() => this.inner.getTopic(ref, topicId));
  }
  listTopics(ref: StudentRef): Promise<Map<string, TopicState>> {
    return this.call(() => this.inner.listTopics(ref));
  }
  listTopicsMany(refs: readonly StudentRef[]): Promise<Map<string, TopicState>[]> {
    return this.call(() => this.inner.listTopicsMany(refs));
  }
  evidenceToken(ref: StudentRef): Promise<string> {
    return this.call(() => this.inner.evidenceToken(ref));
  }
  getHistory(query: HistoryQuery) {
    return this.call(() => this.inner.getHistory(query));
  }
  getConsent(ref: StudentRef): Promise<Consent | undefined> {
    return this.call(() => this.inner.getConsent(ref));
  }
  getConsentMany(refs: readonly StudentRef[]): Promise<(Consent | undefined)[]> {
    return this.call(() => this.inner.getConsentMany(refs));
  }
  setConsent(ref: StudentRef, consent: Consent): Promise<void> {
    return this.call(() => this.inner.setConsent(ref, consent));
  }
  eraseStudent(ref: StudentRef, at: number): Promise<void> {
    return this.call(() => this.inner.eraseStudent(ref, at));
  }

  erasedAt(ref: StudentRef): Promise<number | undefined> {
    return this.call(() => this.inner.erasedAt(ref));
  }

  erasedSince(refs: readonly StudentRef[], since: number): Promise<StudentRef[]> {
    return this.call(() => this.inner.erasedSince(refs, since));
  }

  readStudents(refs: readonly StudentRef[]): Promise<StudentReading[]> {
    return this.call(() => this.inner.readStudents(refs));
  }
  recordSnapshots(ref: StudentRef, writes: readonly SnapshotWrite[]): Promise<SnapshotWriteResult[]> {
    return this.call(() => this.inner.recordSnapshots(ref, writes));
  }
}

type OpBreaker = CircuitBreaker<[() => Promise<unknown>], unknown>;

/**
 * Runs `op` through `breaker`. A refusal (open), a timeout or any failure of the store becomes a
 * StoreUnavailableError named for the store, so callers see one infrastructure error whatever the backend.
 */
export async function fireAsStore<T>(breaker: OpBreaker, op: () => Promise<T>, name: string, timeoutMs: number): Promise<T> {
  try {
    return (await breaker.fire(op)) as T;
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw err;
    const code = (err as { code?: string }).code;
    const why = code === 'EOPENBREAKER' ? 'circuit open' : code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : (err as Error).message;
    throw new StoreUnavailableError(`${name}: ${why}`, { cause: err });
  }
}

/** The breaker's state and counts, as /ready and /metrics report them. */
export function breakerStatus(breaker: OpBreaker, name: string): BreakerStatus {
  const s = breaker.stats;
  return {
    name,
    state: breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed',
    failures: s.failures,
    successes: s.successes,
    rejects: s.rejects,
    timeouts: s.timeouts,
  };
}

/** Calls `listener` with each state the breaker enters (for logs and metrics). */
export function onBreakerStateChange(breaker: OpBreaker, listener: (state: BreakerState) => void): void {
  breaker.on('open', () => listener('open'));
  breaker.on('halfOpen', () => listener('half_open'));
  breaker.on('close', () => listener('closed'));
}
