import { cloneSnapshot, cloneTopicState, dayOf, evidenceFingerprint, isoDay, selectSnapshots, type DaySnapshot, type TopicState } from '../../domain/mastery/topic-state';
import type { Consent } from '../../domain/compliance/consent';
import type { Clock } from '../../ports/clock.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { ApplyOutcome, ApplyRequest, HistoryQuery, MasteryStore, StudentRef, TopicChange } from '../../ports/mastery-store.port';
import type { SnapshotWrite, SnapshotWriteResult, SnapshotWriter, StudentReading } from '../../ports/snapshot-writer.port';

interface StudentRecord {
  topics: Map<string, TopicState>;
  /** Keyed `${topicId}|${day}` so a day's snapshot is overwritten in place. */
  history: Map<string, DaySnapshot>;
  /** event id -> processing time; insertion order is time order, so pruning reads from the front. */
  events: Map<string, number>;
  touchedAt: number;
}

export interface MemoryStoreOptions {
  clock: Clock;
  stateTtlMs: number;
  idempotencyRetentionMs: number;
  /** How long an erasure is remembered (under a pseudonym) to refuse late events. */
  erasureRetentionMs: number;
  pseudonymize: Pseudonymizer;
}

const keyOf = (ref: StudentRef): string => `${ref.tenantId}\u0000${ref.studentId}`;

/**
 * The embedded default and the unit-test double. A JavaScript turn is never interrupted, so an
 * apply that runs `change` and writes without awaiting is atomic by construction. Values are
 * copied in and out so callers can never reach the stored objects.
 */
export class MemoryMasteryStore implements MasteryStore, SnapshotWriter {
  private readonly students = new Map<string, StudentRecord>();
  /** tenant + pseudonym -> erasure time and expiry; never the student id. */
  private readonly erasures = new Map<string, { at: number; expiresAt: number }>();
  /**
   * tenant + pseudonym -> recorded consent. A grant lapses with the student's record (state TTL
   * since the last activity); a withdrawal stays until the student grants again, erasure or not.
   */
  private readonly consents = new Map<string, Consent>();

  constructor(private readonly opts: MemoryStoreOptions) {}

  async applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    const erasedAt = this.erasureOf(req);
    if (erasedAt !== undefined && req.occurredAt <= erasedAt) return { kind: 'erased' };
    const key = keyOf(req);
    const rec: StudentRecord = this.live(key) ?? { topics: new Map(), history: new Map(), events: new Map(), touchedAt: req.now };
    if (!(this.consentOf(req)?.analytics ?? req.consentByDefault)) return { kind: 'no_consent' };
    this.pruneEvents(rec, req.now);
    if (rec.events.has(req.eventId)) return { kind: 'duplicate' };

    const current = rec.topics.get(req.topicId);
    const { state, snapshot } = change(current ? cloneTopicState(current) : undefined);
    rec.topics.set(req.topicId, cloneTopicState(state));
    rec.history.set(`${req.topicId}|${snapshot.day}`, cloneSnapshot(snapshot));
    rec.events.set(req.eventId, req.now);
    rec.touchedAt = req.now;
    this.students.set(key, rec);
    return { kind: 'applied', state: cloneTopicState(state) };
  }

  async getTopic(ref: StudentRef, topicId: string): Promise<TopicState | undefined> {
    const s = this.live(keyOf(ref))?.topics.get(topicId);
    return s ? cloneTopicState(s) : undefined;
  }

  async listTopics(ref: StudentRef): Promise<Map<string, TopicState>> {
    const topics = this.live(keyOf(ref))?.topics ?? new Map<string, TopicState>();
    return new Map([...topics].map(([id, s]) => [id, cloneTopicState(s)]));
  }

  async evidenceToken(ref: StudentRef): Promise<string> {
    return evidenceFingerprint(this.live(keyOf(ref))?.topics.values() ?? []);
  }

  async listTopicsMany(refs: readonly StudentRef[]): Promise<Map<string, TopicState>[]> {
    return Promise.all(refs.map((ref) => this.listTopics(ref)));
  }

  async getHistory(q: HistoryQuery): Promise<DaySnapshot[]> {
    const rec = this.live(keyOf(q));
    if (!rec) return [];
    return selectSnapshots(rec.history.values(), q).map(cloneSnapshot);
  }

  async readStudents(refs: readonly StudentRef[]): Promise<StudentReading[]> {
    const [topics, consents] = await Promise.all([this.listTopicsMany(refs), this.getConsentMany(refs)]);
    return refs.map((_, i) => ({ topics: topics[i]!, consent: consents[i] }));
  }

  async recordSnapshots(ref: StudentRef, writes: readonly SnapshotWrite[]): Promise<SnapshotWriteResult[]> {
    const rec = this.live(keyOf(ref));
    return writes.map((w) => {
      const state = rec?.topics.get(w.topicId);
      if (!rec || !state || state.eventCount !== w.basis.eventCount || state.lastAt !== w.basis.lastAt) return { outcome: 'stale' };
      const field = `${w.topicId}|${w.snapshot.day}`;
      const from = isoDay(dayOf(w.basis.lastAt));
      const before = selectSnapshots(rec.history.values(), { topicId: w.topicId, fromDay: from, toDay: w.snapshot.day }).at(-1);
      const previous = before ? { previous: cloneSnapshot(before) } : {};
      const existing = rec.history.get(field);
      if (existing && JSON.stringify(existing) === JSON.stringify(w.snapshot)) return { outcome: 'unchanged', ...previous };
      rec.history.set(field, cloneSnapshot(w.snapshot));
      return { outcome: 'written', ...previous };
    });
  }

  async getConsent(ref: StudentRef): Promise<Consent | undefined> {
    const c = this.consentOf(ref);
    return c ? { ...c } : undefined;
  }

  async getConsentMany(refs: readonly StudentRef[]): Promise<(Consent | undefined)[]> {
    return Promise.all(refs.map((ref) => this.getConsent(ref)));
  }

  async setConsent(ref: StudentRef, consent: Consent): Promise<void> {
    const key = keyOf(ref);
    const now = this.opts.clock.now();
    const rec: StudentRecord = this.live(key) ?? { topics: new Map(), history: new Map(), events: new Map(), touchedAt: now };
    rec.touchedAt = now;
    this.students.set(key, rec);
    this.consents.set(this.erasureKey(ref), { ...consent });
  }

  async eraseStudent(ref: StudentRef, at: number): Promise<void> {
    this.students.delete(keyOf(ref));
    const key = this.erasureKey(ref);
    if (this.consents.get(key)?.analytics) this.consents.delete(key);
    const latest = Math.max(at, this.erasures.get(key)?.at ?? at);
    this.erasures.set(key, { at: latest, expiresAt: this.opts.clock.now() + this.opts.erasureRetentionMs });
  }

  private erasureKey(ref: StudentRef): string {
    return `${ref.tenantId}\u0000${this.opts.pseudonymize(ref.tenantId, ref.studentId)}`;
  }

  async erasedAt(ref: StudentRef): Promise<number | undefined> {
    return this.erasureOf(ref);
  }

  async erasedSince(refs: readonly StudentRef[], since: number): Promise<StudentRef[]> {
    return refs.filter((ref) => (this.erasureOf(ref) ?? -Infinity) >= since).map((ref) => ({ tenantId: ref.tenantId, studentId: ref.studentId }));
  }

  private erasureOf(ref: StudentRef): number | undefined {
    const key = this.erasureKey(ref);
    const e = this.erasures.get(key);
    if (e && e.expiresAt < this.opts.clock.now()) {
      this.erasures.delete(key);
      return undefined;
    }
    return e?.at;
  }

  /** The recorded consent: a withdrawal always, a grant only while the student's record lives. */
  private consentOf(ref: StudentRef): Consent | undefined {
    const key = this.erasureKey(ref);
    const c = this.consents.get(key);
    if (c?.analytics && !this.live(keyOf(ref))) {
      this.consents.delete(key);
      return undefined;
    }
    return c;
  }

  /** The record, unless it has outlived the state TTL since the student's last activity. */
  private live(key: string): StudentRecord | undefined {
    const rec = this.students.get(key);
    if (rec && this.opts.clock.now() - rec.touchedAt > this.opts.stateTtlMs) {
      this.students.delete(key);
      return undefined;
    }
    return rec;
  }

  private pruneEvents(rec: StudentRecord, now: number): void {
    const cutoff = now - this.opts.idempotencyRetentionMs;
    for (const [id, seenAt] of rec.events) {
      if (seenAt >= cutoff) break;
      rec.events.delete(id);
    }
  }
}
