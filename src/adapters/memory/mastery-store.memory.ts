import { cloneSnapshot, cloneTopicState, selectSnapshots, type DaySnapshot, type TopicState } from '../../domain/topic-state';
import type { Clock } from '../../ports/clock.port';
import type { ApplyOutcome, ApplyRequest, HistoryQuery, MasteryStore, StudentRef, TopicChange } from '../../ports/mastery-store.port';

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
}

const keyOf = (ref: StudentRef): string => `${ref.tenantId}\u0000${ref.studentId}`;

/**
 * The embedded default and the unit-test double. A JavaScript turn is never interrupted, so an
 * apply that runs `change` and writes without awaiting is atomic by construction. Values are
 * copied in and out so callers can never reach the stored objects.
 */
export class MemoryMasteryStore implements MasteryStore {
  private readonly students = new Map<string, StudentRecord>();

  constructor(private readonly opts: MemoryStoreOptions) {}

  async applyEvent(req: ApplyRequest, change: (current: TopicState | undefined) => TopicChange): Promise<ApplyOutcome> {
    const key = keyOf(req);
    const rec = this.live(key) ?? { topics: new Map(), history: new Map(), events: new Map(), touchedAt: req.now };
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

  async getHistory(q: HistoryQuery): Promise<DaySnapshot[]> {
    const rec = this.live(keyOf(q));
    if (!rec) return [];
    return selectSnapshots(rec.history.values(), q).map(cloneSnapshot);
  }

  async deleteStudent(ref: StudentRef): Promise<void> {
    this.students.delete(keyOf(ref));
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
