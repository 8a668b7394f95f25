import { mergeErrors, type BatchRecord, type ChunkOutcome, type StudentResult } from '../../domain/batch/batch';
import { parseCursor, type BatchStore, type ChunkCount, type ChunkStart, type ResultPage } from '../../ports/batch-store.port';
import type { Clock } from '../../ports/clock.port';

interface Entry {
  record: BatchRecord;
  chunksDone: Set<number>;
  results: StudentResult[];
  expiresAt: number;
}

const copy = (r: BatchRecord): BatchRecord => structuredClone(r);

/**
 * BatchStore in one process: the embedded default and the contract's reference. A JavaScript turn
 * is never interrupted, so each method's check-and-write is atomic by construction.
 */
export class MemoryBatchStore implements BatchStore {
  private readonly batches = new Map<string, Entry>();

  constructor(private readonly opts: { clock: Clock; ttlMs: number }) {}

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
    this.batches.set(`${record.tenantId}/${record.batchId}`, { record: copy(record), chunksDone: new Set(), results: [], expiresAt: record.createdAt + this.opts.ttlMs });
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
    r.errors = mergeErrors(r.errors, outcome.failures);
    e.results.push(...structuredClone(outcome.results));
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
    const items = structuredClone(e.results.slice(from, from + limit));
    return from + limit < e.results.length ? { items, nextCursor: String(from + limit) } : { items };
  }
}

