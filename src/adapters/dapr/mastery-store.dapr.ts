import type { Consent } from '../../domain/compliance/consent';
import { selectSnapshots, type DaySnapshot, type TopicState } from '../../domain/mastery/topic-state';
import type { Clock } from '../../ports/clock.port';
import { StoreUnavailableError, type ApplyOutcome, type ApplyRequest, type HistoryQuery, type MasteryStore, type StudentRef, type TopicChange } from '../../ports/mastery-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import { KeyedQueue } from '../ingest/keyed-queue';
import { studentDaprKeys } from './keys';
import type { DaprState } from './state';

export interface DaprMasteryStoreOptions {
  clock: Clock;
  stateTtlSeconds: number;
  idempotencyRetentionMs: number;
  erasureRetentionSeconds: number;
  pseudonymize: Pseudonymizer;
}

/**
 * One student's document: everything an apply must check and change, so one ETag-conditioned
 * write makes the apply atomic. `consent` is the authoritative copy while the document lives;
 * `erasure` stays (for the erasure retention) after the data is gone.
 */
interface StudentDoc {
  topics: Record<string, TopicState>;
  /** `${topicId}|${day}` -> that day's last snapshot. */
  history: Record<string, DaySnapshot>;
  /** event id -> processing time (ms), pruned past the idempotency retention. */
  events: Record<string, number>;
  consent?: Consent;
  erasure?: { at: number; until: number };
}

const emptyDoc = (): StudentDoc => ({ topics: {}, history: {}, events: {} });
const hasData = (doc: StudentDoc): boolean => Object.keys(doc.topics).length > 0 || Object.keys(doc.history).length > 0 || Object.keys(doc.events).length > 0;

/**
 * MasteryStore on a Dapr state store. Each student is one document (key named by pseudonym):
 * an apply reads it with its ETag, checks erasure, consent and idempotency, runs `change` and
 * writes it back only if the ETag still holds (first-write concurrency), else re-reads and tries
 * again, so replicas never lose each other's events. Its TTL is renewed with every write, so the
 * data expires STATE_TTL_DAYS after the last activity. A consent withdrawal is also kept under a
 * second key without a TTL, so it outlives the document and any erasure; setConsent writes that
 * key first and then the document, so an apply racing a withdrawal fails its ETag and re-reads.
 * Limit: the whole history is rewritten with every apply (see ADR 0011).
 */
export class DaprMasteryStore implements MasteryStore {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly state: DaprState,
    private readonly opts: DaprMasteryStoreOptions,
  ) {
    if (opts.idempotencyRetentionMs > opts.stateTtlSeconds * 1000) {
      throw new Error('idempotency retention must not exceed the state TTL: the idempotency records expire with the state');
    }
  }

  private keysOf(ref: StudentRef) {
    return studentDaprKeys(ref.tenantId, this.opts.pseudonymize(ref.tenantId, ref.studentId));
  }

  /** The document's TTL: the state TTL, or longer while an erasure must still be remembered. */
  private ttlOf(doc: StudentDoc): number {
    const erasureLeft = doc.erasure ? (doc.erasure.until - this.opts.clock.now()) / 1000 : 0;
    return hasData(doc) ? Math.max(this.opts.stateTtlSeconds, erasureLeft) : Math.max(1, erasureLeft);
  }

  private liveErasure(doc: StudentDoc | undefined): number | undefined {
    return doc?.erasure && doc.erasure.until >= this.opts.clock.now() ? doc.erasure.at : undefined;
  }

  applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    const keys = this.keysOf(req);
    // Events of one student in this process queue here instead of failing each other's ETags.
    return this.queue.run(keys.doc, () => this.apply(req, keys, change));
  }

  private async apply(req: ApplyRequest, keys: ReturnType<typeof studentDaprKeys>, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    for (let round = 0; round < 50; round++) {
      const [stored, consentKey] = await this.state.getMany<unknown>([keys.doc, keys.consent]);
      const doc = stored?.value as StudentDoc | undefined;
      const erasedAt = this.liveErasure(doc);
      if (erasedAt !== undefined && req.occurredAt <= erasedAt) return { kind: 'erased' };
      const consent = doc?.consent ?? (consentKey?.value as Consent | undefined);
      if (!(consent?.analytics ?? req.consentByDefault)) return { kind: 'no_consent' };
      if (doc?.events[req.eventId] !== undefined) return { kind: 'duplicate' };

      const next: StudentDoc = doc ? structuredClone(doc) : { ...emptyDoc(), ...(consent ? { consent } : {}) };
      const cutoff = req.now - this.opts.idempotencyRetentionMs;
      for (const [id, seenAt] of Object.entries(next.events)) if (seenAt < cutoff) delete next.events[id];
      if (next.erasure && next.erasure.until < this.opts.clock.now()) delete next.erasure;
      const current = next.topics[req.topicId];
      const { state, snapshot } = change(current === undefined ? undefined : structuredClone(current));
      next.topics[req.topicId] = state;
      next.history[`${req.topicId}|${snapshot.day}`] = snapshot;
      next.events[req.eventId] = req.now;
      const written = await this.state.save(keys.doc, next, { expect: stored ? { etag: stored.etag } : 'absent', ttlSeconds: this.ttlOf(next) });
      if (written) return { kind: 'applied', state: structuredClone(state) };
      // Another replica, an erasure or a consent change got there first: a jittered pause, then a fresh read.
      if (round > 0) await Bun.sleep(Math.random() * Math.min(50, 2 ** round));
    }
    throw new StoreUnavailableError('dapr state: student kept changing under 50 attempts; try again');
  }

  async getTopic(ref: StudentRef, topicId: string): Promise<TopicState | undefined> {
    return (await this.docOf(ref))?.topics[topicId];
  }

  async listTopics(ref: StudentRef): Promise<Map<string, TopicState>> {
    return new Map(Object.entries((await this.docOf(ref))?.topics ?? {}));
  }

  async listTopicsMany(refs: readonly StudentRef[]): Promise<Map<string, TopicState>[]> {
    const docs = await this.state.getMany<StudentDoc>(refs.map((ref) => this.keysOf(ref).doc));
    return docs.map((d) => new Map(Object.entries(d?.value.topics ?? {})));
  }

  async getHistory(q: HistoryQuery): Promise<DaySnapshot[]> {
    return selectSnapshots(Object.values((await this.docOf(q))?.history ?? {}), q);
  }

  async getConsent(ref: StudentRef): Promise<Consent | undefined> {
    return (await this.getConsentMany([ref]))[0];
  }

  async getConsentMany(refs: readonly StudentRef[]): Promise<(Consent | undefined)[]> {
    const keys = refs.flatMap((ref) => {
      const k = this.keysOf(ref);
      return [k.doc, k.consent];
    });
    const found = await this.state.getMany<unknown>(keys);
    return refs.map((_, i) => (found[2 * i]?.value as StudentDoc | undefined)?.consent ?? (found[2 * i + 1]?.value as Consent | undefined));
  }

  async setConsent(ref: StudentRef, consent: Consent): Promise<void> {
    const keys = this.keysOf(ref);
    // The lasting record first: a withdrawal without a TTL, a grant as long as the state.
    await this.state.update<Consent, void>(keys.consent, () => ({ value: consent, ...(consent.analytics ? { ttlSeconds: this.opts.stateTtlSeconds } : {}), result: undefined }));
    // Then the document's copy, which applies check in their one conditional write.
    await this.state.update<StudentDoc, void>(keys.doc, (doc) => {
      const next: StudentDoc = { ...(doc ?? emptyDoc()), consent };
      return { value: next, ttlSeconds: Math.max(this.ttlOf(next), this.opts.stateTtlSeconds), result: undefined };
    });
  }

  async eraseStudent(ref: StudentRef, at: number): Promise<void> {
    const keys = this.keysOf(ref);
    const until = this.opts.clock.now() + this.opts.erasureRetentionSeconds * 1000;
    // One conditional write replaces the data with the erasure record: an apply that read before
    // it fails its ETag, re-reads and finds the erasure.
    await this.state.update<StudentDoc, void>(keys.doc, (doc) => {
      const latest = Math.max(at, this.liveErasure(doc) ?? at);
      const kept = doc?.consent && !doc.consent.analytics ? { consent: doc.consent } : {};
      return { value: { ...emptyDoc(), ...kept, erasure: { at: latest, until } }, ttlSeconds: this.opts.erasureRetentionSeconds, result: undefined };
    });
    // A grant goes with the data; a withdrawal stays: it is the student's standing "do not process".
    await this.state.update<Consent, void>(keys.consent, (c) => ({ value: c?.analytics ? null : undefined, result: undefined }));
  }

  async erasedAt(ref: StudentRef): Promise<number | undefined> {
    return this.liveErasure(await this.docOf(ref));
  }

  private async docOf(ref: StudentRef): Promise<StudentDoc | undefined> {
    return (await this.state.get<StudentDoc>(this.keysOf(ref).doc))?.value;
  }
}
