import type { Clock } from '../../ports/clock.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { keyOfRequestField, requestFieldOf, type CachedPrediction, type PredictionCache, type PredictionKey } from '../../ports/prediction-cache.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';

export interface MemoryPredictionCacheOptions {
  clock: Clock;
  ttlMs: number;
  /** Entries kept at most; the least recently used go first. */
  maxEntries?: number;
  pseudonymize: Pseudonymizer;
}

interface Entry {
  cachedAt: number;
  /** The document as JSON: stored and returned as copies, and its size is what it costs. */
  json: string;
}

/**
 * One process's cache: the embedded default and the test double. Nothing here is shared, so
 * another replica's writes cannot make it wrong; the fingerprint in the key is what retires an
 * entry when the student's evidence changes. Bounded by `maxEntries` (LRU: a Map keeps insertion
 * order, and a hit moves its entry to the end). Erasure removes the student's entries by scanning
 * them, which costs at most `maxEntries` comparisons and happens rarely.
 */
export class MemoryPredictionCache implements PredictionCache {
  /** `${student}\0${fingerprint}\0${request}` -> entry, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** student -> erasure time, kept for the TTL. */
  private readonly erased = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(private readonly opts: MemoryPredictionCacheOptions) {
    this.maxEntries = opts.maxEntries ?? 5000;
  }

  async getPrediction<T>(ref: StudentRef, key: PredictionKey): Promise<CachedPrediction<T> | undefined> {
    const id = this.idOf(ref, key);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (this.opts.clock.now() - entry.cachedAt >= this.opts.ttlMs) return undefined;
    this.entries.set(id, entry);
    return { key: copyKey(key), value: JSON.parse(entry.json) as T, cachedAt: entry.cachedAt };
  }

  async putPrediction<T>(ref: StudentRef, entry: CachedPrediction<T>): Promise<void> {
    const student = this.studentOf(ref);
    const erasedAt = this.erased.get(student);
    if (erasedAt !== undefined && entry.cachedAt <= erasedAt) return;
    const id = `${student}\0${entry.key.fingerprint}\0${requestFieldOf(entry.key)}`;
    this.entries.delete(id);
    this.entries.set(id, { cachedAt: entry.cachedAt, json: JSON.stringify(entry.value) });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  async listCached(ref: StudentRef): Promise<CachedPrediction<unknown>[]> {
    const prefix = `${this.studentOf(ref)}\0`;
    const now = this.opts.clock.now();
    const found: [string, CachedPrediction<unknown>][] = [];
    for (const [id, entry] of this.entries) {
      if (!id.startsWith(prefix) || now - entry.cachedAt >= this.opts.ttlMs) continue;
      const [fingerprint, field] = id.slice(prefix.length).split('\0') as [string, string];
      found.push([field, { key: keyOfRequestField(fingerprint, field), value: JSON.parse(entry.json), cachedAt: entry.cachedAt }]);
    }
    return found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }

  async forgetStudent(ref: StudentRef, at: number): Promise<void> {
    const student = this.studentOf(ref);
    const prefix = `${student}\0`;
    for (const id of this.entries.keys()) if (id.startsWith(prefix)) this.entries.delete(id);
    const now = this.opts.clock.now();
    for (const [s, t] of this.erased) if (now - t >= this.opts.ttlMs) this.erased.delete(s);
    this.erased.set(student, Math.max(at, this.erased.get(student) ?? at));
  }

  private studentOf(ref: StudentRef): string {
    return `${ref.tenantId}/${this.opts.pseudonymize(ref.tenantId, ref.studentId)}`;
  }

  private idOf(ref: StudentRef, key: PredictionKey): string {
    return `${this.studentOf(ref)}\0${key.fingerprint}\0${requestFieldOf(key)}`;
  }
}

const copyKey = (key: PredictionKey): PredictionKey => ({ ...key, ...(key.topicIds ? { topicIds: [...key.topicIds] } : {}) });
