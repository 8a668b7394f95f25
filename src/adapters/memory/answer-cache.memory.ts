import type { Clock } from '../../ports/clock.port';
import type { AnswerCache } from '../../ports/answer-cache.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';

export interface MemoryAnswerCacheOptions {
  clock: Clock;
  /** Answers kept at most (0 keeps none); the least recently used go first. */
  maxEntries: number;
  /** How long an answer is kept after it was read (ms). */
  ttlMs: number;
  pseudonymize: Pseudonymizer;
}

interface Entry<T> {
  answer: T;
  readAt: number;
}

/**
 * One replica's answers (mastery histories, rendered mastery answers), in process: the embedded
 * default and the one used with Redis.
 * Nothing here is shared, and nothing needs to be: every lookup's key holds the student's evidence
 * token as the store has it at that moment (MasteryStore.evidenceToken, read on every request),
 * so an event applied by any replica retires the entries everywhere on their next lookup, and an
 * erasure elsewhere leaves a token no answer from before it carries. Such an unreachable entry
 * lingers at most `ttlMs` or until evicted; an erasure through this replica drops the student's
 * entries at once. Bounded by `maxEntries` (LRU: a Map keeps insertion order, and a hit moves its
 * entry to the end).
 */
export class MemoryAnswerCache<T> implements AnswerCache<T> {
  /** `${pseudonym}\0${key}` -> entry, least recently used first. */
  private readonly entries = new Map<string, Entry<T>>();
  /** pseudonym -> erasure time, kept for the TTL. */
  private readonly erased = new Map<string, number>();

  constructor(private readonly opts: MemoryAnswerCacheOptions) {}

  private studentOf(ref: StudentRef): string {
    return this.opts.pseudonymize(ref.tenantId, ref.studentId);
  }

  get(ref: StudentRef, key: string): T | undefined {
    const id = `${this.studentOf(ref)}\0${key}`;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (this.opts.clock.now() - entry.readAt > this.opts.ttlMs) return undefined;
    this.entries.set(id, entry);
    return entry.answer;
  }

  put(ref: StudentRef, key: string, answer: T, readAt: number): void {
    if (this.opts.maxEntries <= 0) return;
    const student = this.studentOf(ref);
    const erasedAt = this.erased.get(student);
    if (erasedAt !== undefined && readAt <= erasedAt) return;
    const id = `${student}\0${key}`;
    this.entries.delete(id);
    this.entries.set(id, { answer, readAt });
    if (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  forgetStudent(ref: StudentRef, at: number): void {
    const student = this.studentOf(ref);
    for (const id of [...this.entries.keys()]) if (id.startsWith(`${student}\0`)) this.entries.delete(id);
    const now = this.opts.clock.now();
    for (const [s, t] of this.erased) if (now - t > this.opts.ttlMs) this.erased.delete(s);
    this.erased.set(student, Math.max(at, this.erased.get(student) ?? at));
  }
}
