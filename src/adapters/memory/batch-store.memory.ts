import { mergeErrors, type BatchRecord, type ChunkOutcome, type StudentResult } from '../../domain/batch/batch';
import { parseCursor, type BatchStore, type ChunkCount, type ChunkStart, type ResultPage } from '../../ports/batch-store.port';
import type { Clock } from '../../ports/clock.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';

interface Entry {
  record: BatchRecord;
  chunksDone: Set<number>;
  /** null where an erased student's result was: offsets, and so cursors, stay as they were. */
  results: (StudentResult | null)[];
  expiresAt: number;
  /** Pseudonyms of students erased while the batch was live: a chunk counted later keeps neither their result nor their id. */
  erased: Set<string>;
}

const copy = (r: BatchRecord): BatchRecord => structuredClone(r);

/**
 * BatchStore in one process: the embedded default and the contract's reference. A JavaScript turn
 * is never interrupted, so each method's check-and-write is atomic by construction.
 */
export class MemoryBatchStore implements BatchStore {
  private readonly batches = new Map<string, Entry>();

  constructor(private readonly opts: { clock: Clock; ttlMs: number; pseudonymize: Pseudonymizer }) {}

  private entry(tenantId: string, batchId: string): Entry | undefined {
    const key = `${tenantId}/${batchId}`;
    const e = this.batches.get(key);
    if (e && e.expiresAt <= this.opts.clock.now()) {
      this.batches.delete(key);
      return undefined;
    }
    return e;
  }

  async create(record: BatchRecord): Promise<void> {
    this.batches.set(`${record.tenantId}/${record.batchId}`, { record: copy(record), chunksDone: new Set(), results: [], expiresAt: record.createdAt + this.opts.ttlMs, erased: new Set() });
  }

  async get(tenantId: string, batchId: string): Promise<BatchRecord | undefined> {
    const e = this.entry(tenantId, batchId);
    return e && copy(e.record);
  }

  async startChunk(tenantId: string, batchId: string, at: number): Promise<ChunkStart> {
    const e = this.entry(tenantId, batchId);
    if (!e) return { kind: 'unknown' };
    if (e.record.cancelledAt !== undefined) return { kind: 'cancelled' };
    const firstStart = e.record.startedAt === undefined;
    if (firstStart) e.record.startedAt = at;
    return { kind: 'run', firstStart };
  }

  async recordChunk(tenantId: string, batchId: string, chunkId: number, outcome: ChunkOutcome, at: number): Promise<ChunkCount> {
    const e = this.entry(tenantId, batchId);
    if (!e) return { kind: 'unknown' };
    if (e.chunksDone.has(chunkId)) return { kind: 'repeat' };
    e.chunksDone.add(chunkId);
    const r = e.record;
    r.succeeded += outcome.results.length;
    r.failed += outcome.failures.length;
    r.processed += outcome.results.length + outcome.failures.length;
    const erased = (studentId: string) => e.erased.has(this.opts.pseudonymize(tenantId, studentId));
    r.errors = mergeErrors(r.errors, outcome.failures, erased);
    e.results.push(...structuredClone(outcome.results.filter((x) => !erased(x.studentId))));
    const finishedNow = r.processed >= r.total && r.finishedAt === undefined;
    if (finishedNow) r.finishedAt = at;
    return { kind: 'counted', record: copy(r), finishedNow };
  }

  async cancel(tenantId: string, batchId: string, at: number): Promise<BatchRecord | undefined> {
    const e = this.entry(tenantId, batchId);
    if (!e) return undefined;
    if (e.record.processed < e.record.total && e.record.cancelledAt === undefined) e.record.cancelledAt = at;
    return copy(e.record);
  }

  async results(tenantId: string, batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage | undefined> {
    const e = this.entry(tenantId, batchId);
    const from = cursor === undefined ? 0 : parseCursor(cursor);
    if (!e || from === undefined) return undefined;
    const items = structuredClone(e.results.slice(from, from + limit).filter((r): r is StudentResult => r !== null));
    return from + limit < e.results.length ? { items, nextCursor: String(from + limit) } : { items };
  }

  async forgetStudent(tenantId: string, studentId: string): Promise<void> {
    for (const e of [...this.batches.values()]) {
      if (e.record.tenantId !== tenantId || !this.entry(tenantId, e.record.batchId)) continue;
      e.erased.add(this.opts.pseudonymize(tenantId, studentId));
      e.results = e.results.map((r) => (r?.studentId === studentId ? null : r));
      e.record.errors = e.record.errors.map((g) => ({ ...g, studentIds: g.studentIds.filter((id) => id !== studentId) }));
    }
  }
}
