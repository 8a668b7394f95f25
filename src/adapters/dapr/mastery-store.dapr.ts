import type { Consent } from '../../domain/compliance/consent';
import { dayNumber } from '../../domain/mastery/as-of';
import { dayOf, evidenceFingerprint, isoDay, selectSnapshots, type DaySnapshot, type TopicState } from '../../domain/mastery/topic-state';
import type { Clock } from '../../ports/clock.port';
import { StoreUnavailableError, type ApplyOutcome, type ApplyRequest, type HistoryQuery, type MasteryStore, type StudentRef, type TopicChange } from '../../ports/mastery-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { SnapshotWrite, SnapshotWriteResult, SnapshotWriter, StudentReading } from '../../ports/snapshot-writer.port';
import { KeyedQueue } from '../ingest/keyed-queue';
import { studentDaprKeys } from './keys';
import type { DaprState } from './state';

export interface DaprMasteryStoreOptions {
  clock: Clock;
  stateTtlSeconds: number;
  idempotencyRetentionMs: number;
  erasureRetentionSeconds: number;
  pseudonymize: Pseudonymizer;
  /**
   * Snapshots the student document holds before its final ones (days before each topic's latest)
   * move to month documents: keeps every apply's write small. Default 120 (ten topics' fortnight).
   */
  sealAbove?: number;
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
  /** `id` is drawn per erasure: a month document tombstoned by it is never written again by a seal planned before it. */
  erasure?: { at: number; until: number; id: string };
  /** Months (`YYYY-MM`) whose sealed snapshots are in month documents; named before they are written, kept through erasure. */
  months?: string[];
  /** The day (days since epoch) the month documents' TTLs were last renewed. */
  renewedDay?: number;
}

/** A month of sealed snapshots, or the tombstone an erasure left (no snapshots). */
interface MonthDoc {
  snapshots?: Record<string, DaySnapshot>;
  erasedBy?: string;
}

/** The snapshots no later event can change: days before their topic's latest snapshot. */
function finalSnapshots(doc: StudentDoc): Record<string, DaySnapshot> {
  const latest = new Map<string, string>();
  for (const s of Object.values(doc.history)) if ((latest.get(s.topicId) ?? '') < s.day) latest.set(s.topicId, s.day);
  return Object.fromEntries(Object.entries(doc.history).filter(([, s]) => s.day < latest.get(s.topicId)!));
}

/** How far back a recalculation looks for the snapshot it follows: a state lives at most STATE_TTL_DAYS, so this is generous. */
const MAX_LOOKBACK_DAYS = 400;

/** The first day a write looks back to for the snapshot it follows, and the day it writes. */
function lookback(w: SnapshotWrite): { from: string; to: string } {
  const to = dayNumber(w.snapshot.day);
  return { from: isoDay(Math.max(dayOf(w.basis.lastAt), to - MAX_LOOKBACK_DAYS)), to: w.snapshot.day };
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
 * History stays small in the document: once it holds more than `sealAbove` snapshots, the final
 * ones (days before their topic's latest, which no event can change any more) move to one document
 * per month, which the student document names before they are written, so an erasure always finds
 * them; it leaves a tombstone in each, and a seal planned before the erasure finds the tombstone and
 * writes nothing (ADR 0013).
 */
export class DaprMasteryStore implements MasteryStore, SnapshotWriter {
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
      if (written) {
        await this.maintain(keys, next, req.now);
        return { kind: 'applied', state: structuredClone(state) };
      }
      // Another replica, an erasure or a consent change got there first: a jittered pause, then a fresh read.
      if (round > 0) await Bun.sleep(Math.random() * Math.min(50, 2 ** round));
    }
    throw new StoreUnavailableError('dapr state: student kept changing under 50 attempts; try again');
  }

  async readStudents(refs: readonly StudentRef[]): Promise<StudentReading[]> {
    // One bulk get for both: the consent lives in the student document, or beside it after an erasure.
    const keys = refs.flatMap((ref) => {
      const k = this.keysOf(ref);
      return [k.doc, k.consent];
    });
    const found = await this.state.getMany<unknown>(keys);
    return refs.map((_, i) => {
      const doc = found[2 * i]?.value as StudentDoc | undefined;
      return { topics: new Map(Object.entries(doc?.topics ?? {})), consent: doc?.consent ?? (found[2 * i + 1]?.value as Consent | undefined) };
    });
  }

  /**
   * Recalculated snapshots go into the student document in one ETag-conditioned write whose step
   * checks each write's basis against the topics in that same document: an event or an erasure
   * that changed the document since the read fails the ETag, and the re-read finds the new basis
   * (stale) or no topics at all (an erased student reads as stale, so nothing of their history is
   * written back). Nothing goes to the month documents: those are written only by the seal after
   * an apply, which an erasure's tombstones stop. `previous` may be a snapshot already sealed into
   * a month document: the months in the look-back are read after the document, and a seal drops a
   * snapshot from the document only after merging it into its month (changing the ETag), so one
   * of the two holds it. The document keeps its expiry: STATE_TTL_DAYS after the latest apply (its
   * newest idempotency record), as on the Redis backend, so a recalculation does not keep an
   * inactive student's data alive. Recalculated snapshots stay in the document until the next
   * apply's seal moves the final ones out.
   */
  recordSnapshots(ref: StudentRef, writes: readonly SnapshotWrite[]): Promise<SnapshotWriteResult[]> {
    if (writes.length === 0) return Promise.resolve([]);
    const keys = this.keysOf(ref);
    return this.queue.run(keys.doc, () => this.snapshots(keys, writes));
  }

  private async snapshots(keys: ReturnType<typeof studentDaprKeys>, writes: readonly SnapshotWrite[]): Promise<SnapshotWriteResult[]> {
    for (let round = 0; round < 50; round++) {
      const stored = await this.state.get<StudentDoc>(keys.doc);
      const doc = stored?.value;
      const current = writes.map((w) => {
        const state = doc?.topics[w.topicId];
        return state !== undefined && state.eventCount === w.basis.eventCount && state.lastAt === w.basis.lastAt;
      });
      if (!stored || !doc || !current.some(Boolean)) return writes.map(() => ({ outcome: 'stale' }));
      const ranges = writes.filter((_, i) => current[i]).map(lookback);
      const months = (doc.months ?? []).filter((m) => ranges.some((r) => m >= r.from.slice(0, 7) && m <= r.to.slice(0, 7)));
      // The history as it was before this call, the document's copy winning as in getHistory.
      const before: Record<string, DaySnapshot> = {};
      for (const m of await this.state.getMany<MonthDoc>(months.map(keys.historyMonth))) Object.assign(before, m?.value.snapshots ?? {});
      Object.assign(before, doc.history);
      const next = structuredClone(doc);
      let changed = false;
      const results = writes.map((w, i): SnapshotWriteResult => {
        if (!current[i]) return { outcome: 'stale' };
        const { from, to } = lookback(w);
        const follows = Object.values(before)
          .filter((h) => h.topicId === w.topicId && h.day >= from && h.day <= to)
          .reduce<DaySnapshot | undefined>((latest, h) => (latest === undefined || h.day > latest.day ? h : latest), undefined);
        const previous = follows ? { previous: structuredClone(follows) } : {};
        const field = `${w.topicId}|${w.snapshot.day}`;
        const snapshot = JSON.parse(JSON.stringify(w.snapshot)) as DaySnapshot;
        if (before[field] !== undefined && Bun.deepEquals(before[field], snapshot)) return { outcome: 'unchanged', ...previous };
        next.history[field] = snapshot;
        changed = true;
        return { outcome: 'written', ...previous };
      });
      if (!changed) return results;
      if (await this.state.save(keys.doc, next, { expect: { etag: stored.etag }, ttlSeconds: this.keptTtlOf(next) })) return results;
      // An apply, a seal or an erasure got there first: a jittered pause, then a fresh read.
      if (round > 0) await Bun.sleep(Math.random() * Math.min(50, 2 ** round));
    }
    throw new StoreUnavailableError('dapr state: student kept changing under 50 attempts; try again');
  }

  /**
   * The TTL that keeps a document's expiry where its latest apply set it: STATE_TTL_DAYS after it,
   * or the end of an erasure's retention when that is later (the erasure record must outlive it).
   */
  private keptTtlOf(doc: StudentDoc): number {
    const applied = Object.values(doc.events);
    if (applied.length === 0) return this.ttlOf(doc);
    const expiresAt = Math.max(Math.max(...applied) + this.opts.stateTtlSeconds * 1000, doc.erasure?.until ?? 0);
    return Math.max(1, (expiresAt - this.opts.clock.now()) / 1000);
  }

  async getTopic(ref: StudentRef, topicId: string): Promise<TopicState | undefined> {
    return (await this.docOf(ref))?.topics[topicId];
  }

  async listTopics(ref: StudentRef): Promise<Map<string, TopicState>> {
    return new Map(Object.entries((await this.docOf(ref))?.topics ?? {}));
  }

  /** From the topics of the student's document: the whole document is one read anyway. */
  async evidenceToken(ref: StudentRef): Promise<string> {
    return evidenceFingerprint(Object.values((await this.docOf(ref))?.topics ?? {}));
  }

  async listTopicsMany(refs: readonly StudentRef[]): Promise<Map<string, TopicState>[]> {
    const docs = await this.state.getMany<StudentDoc>(refs.map((ref) => this.keysOf(ref).doc));
    return docs.map((d) => new Map(Object.entries(d?.value.topics ?? {})));
  }

  async getHistory(q: HistoryQuery): Promise<DaySnapshot[]> {
    const keys = this.keysOf(q);
    const doc = await this.docOf(q);
    if (!doc) return [];
    const months = (doc.months ?? []).filter((m) => (q.fromDay === undefined || m >= q.fromDay.slice(0, 7)) && (q.toDay === undefined || m <= q.toDay.slice(0, 7)));
    const sealed = await this.state.getMany<MonthDoc>(months.map(keys.historyMonth));
    // The document's copy wins: a snapshot sealed and not yet dropped from it is the same value.
    const all: Record<string, DaySnapshot> = {};
    for (const m of sealed) Object.assign(all, m?.value.snapshots ?? {});
    Object.assign(all, doc.history);
    return selectSnapshots(Object.values(all), q);
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
    const id = crypto.randomUUID();
    // One conditional write replaces the data with the erasure record: an apply that read before
    // it fails its ETag, re-reads and finds the erasure. The months stay named, so a repeated
    // erasure (after a failure half-way) reaches their documents too.
    const months = await this.state.update<StudentDoc, string[]>(keys.doc, (doc) => {
      const latest = Math.max(at, this.liveErasure(doc) ?? at);
      const kept = doc?.consent && !doc.consent.analytics ? { consent: doc.consent } : {};
      const named = doc?.months ?? [];
      return { value: { ...emptyDoc(), ...kept, erasure: { at: latest, until, id }, ...(named.length > 0 ? { months: named } : {}) }, ttlSeconds: this.opts.erasureRetentionSeconds, result: named };
    });
    for (const month of months) {
      await this.state.update<MonthDoc, void>(keys.historyMonth(month), () => ({ value: { erasedBy: id }, ttlSeconds: this.opts.erasureRetentionSeconds, result: undefined }));
    }
    // A grant goes with the data; a withdrawal stays: it is the student's standing "do not process".
    await this.state.update<Consent, void>(keys.consent, (c) => ({ value: c?.analytics ? null : undefined, result: undefined }));
  }

  /**
   * After an apply: seals final snapshots into month documents once the document holds too many,
   * and renews the month documents' TTLs once a day (they live as long as the state, like the
   * document). Only an optimisation of size: the data is complete whether or not it ran, so a
   * failure here is left for the next apply rather than failing this one.
   */
  private async maintain(keys: ReturnType<typeof studentDaprKeys>, doc: StudentDoc, now: number): Promise<void> {
    try {
      if (Object.keys(doc.history).length > (this.opts.sealAbove ?? 120)) await this.seal(keys);
      const today = dayOf(now);
      if ((doc.months?.length ?? 0) > 0 && doc.renewedDay !== today) await this.renewMonths(keys, today);
    } catch {
      // Left for the next apply (see above).
    }
  }

  private async seal(keys: ReturnType<typeof studentDaprKeys>): Promise<void> {
    // 1. Name the months in the student document first: an erasure from now on finds them.
    const plan = await this.state.update<StudentDoc, { sealed: Record<string, DaySnapshot>; erasureId?: string } | undefined>(keys.doc, (doc) => {
      const sealed = doc ? finalSnapshots(doc) : {};
      if (!doc || Object.keys(sealed).length === 0) return { result: undefined };
      const result = { sealed, ...(doc.erasure ? { erasureId: doc.erasure.id } : {}) };
      const missing = [...new Set(Object.values(sealed).map((h) => h.day.slice(0, 7)))].filter((m) => !(doc.months ?? []).includes(m));
      if (missing.length === 0) return { result };
      const next = { ...doc, months: [...(doc.months ?? []), ...missing].sort() };
      return { value: next, ttlSeconds: this.ttlOf(next), result };
    });
    if (!plan) return;
    // 2. Merge each month's snapshots into its document, unless an erasure newer than the plan tombstoned it.
    const byMonth = new Map<string, Record<string, DaySnapshot>>();
    for (const [field, h] of Object.entries(plan.sealed)) byMonth.set(h.day.slice(0, 7), { ...byMonth.get(h.day.slice(0, 7)), [field]: h });
    for (const [month, snapshots] of byMonth) {
      const merged = await this.state.update<MonthDoc, boolean>(keys.historyMonth(month), (m) => {
        if (m?.erasedBy !== undefined && m.erasedBy !== plan.erasureId) return { result: false };
        return { value: { snapshots: { ...m?.snapshots, ...snapshots } }, ttlSeconds: this.opts.stateTtlSeconds, result: true };
      });
      if (!merged) return;
    }
    // 3. Drop from the student document what the month documents now hold.
    await this.state.update<StudentDoc, void>(keys.doc, (doc) => {
      if (!doc || doc.erasure?.id !== plan.erasureId) return { result: undefined };
      const next = structuredClone(doc);
      for (const field of Object.keys(plan.sealed)) delete next.history[field];
      return Object.keys(next.history).length === Object.keys(doc.history).length ? { result: undefined } : { value: next, ttlSeconds: this.ttlOf(next), result: undefined };
    });
  }

  private async renewMonths(keys: ReturnType<typeof studentDaprKeys>, today: number): Promise<void> {
    const doc = await this.state.update<StudentDoc, StudentDoc | undefined>(keys.doc, (d) =>
      d && d.renewedDay !== today ? { value: { ...d, renewedDay: today }, ttlSeconds: this.ttlOf(d), result: d } : { result: undefined },
    );
    for (const month of doc?.months ?? []) {
      await this.state.update<MonthDoc, void>(keys.historyMonth(month), (m) => (m?.snapshots ? { value: m, ttlSeconds: this.opts.stateTtlSeconds, result: undefined } : { result: undefined }));
    }
  }

  async erasedAt(ref: StudentRef): Promise<number | undefined> {
    return this.liveErasure(await this.docOf(ref));
  }

  /** One read per student: the state store has no tenant-wide index to ask instead. */
  async erasedSince(refs: readonly StudentRef[], since: number): Promise<StudentRef[]> {
    const erasures = await Promise.all(refs.map((ref) => this.erasedAt(ref)));
    return refs.filter((_, i) => (erasures[i] ?? -Infinity) >= since).map((ref) => ({ tenantId: ref.tenantId, studentId: ref.studentId }));
  }

  private async docOf(ref: StudentRef): Promise<StudentDoc | undefined> {
    return (await this.state.get<StudentDoc>(this.keysOf(ref).doc))?.value;
  }
}
