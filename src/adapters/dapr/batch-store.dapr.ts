import { mergeErrors, type BatchRecord, type ChunkOutcome, type StudentFailure, type StudentResult } from '../../domain/batch/batch';
import { parseCursor, type BatchStore, type ChunkCount, type ChunkStart, type ResultPage } from '../../ports/batch-store.port';
import type { Clock } from '../../ports/clock.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import { batchChunkDaprKey, batchDaprKey, batchIndexDaprKey } from './keys';
import type { DaprState } from './state';

/**
 * A batch's document: the record and, in counting order, each counted chunk's id and number of
 * results. The list is the set of counted chunks (a chunk counts once) and the index of the results,
 * which live in one document per chunk: a 10,000-student batch is a few dozen documents of one
 * chunk each, never one value that grows with every chunk.
 */
interface BatchDoc {
  record: BatchRecord;
  counted: [chunkId: number, results: number][];
  /** Pseudonyms of students erased while the batch was live: never shown, and a chunk counted later keeps neither their result nor their id. */
  erased?: string[];
}

/** A counted chunk's document: an erased student's result is null (offsets stay), their failure gone. */
interface ChunkDoc {
  results: (StudentResult | null)[];
  failures: StudentFailure[];
}

/** The tenant's batches and when each expires: what an erasure walks. */
interface BatchIndexDoc {
  batches: [batchId: string, expiresAt: number][];
}

/**
 * BatchStore on a Dapr state store, shared by every replica. Every change of a batch is one
 * ETag-conditioned read-modify-write of its document (DaprState.update), so starting, counting and
 * cancelling are atomic whichever replica does them. Recording a chunk first writes the chunk's
 * outcome under its own key if none is there yet (a create: of racing replicas exactly one wins),
 * then counts the outcome stored there, not the caller's: a redelivered chunk whose recalculation
 * came out differently cannot count students other than the results it shows. Every key expires
 * `ttlMs` after the batch's creation, and reads check that expiry against the clock too (a store
 * may expire lazily). Nothing of a batch is kept in the process (ADR 0013); its changes of one
 * batch queue behind each other in DaprState.update, so this replica's chunks do not fail each
 * other's ETags (other replicas are held off by the ETag alone). A per-tenant index document lists the batches
 * and their expiries (written before the batch, so none exists unlisted), for an erasure.
 */
export class DaprBatchStore implements BatchStore {
  constructor(
    private readonly state: DaprState,
    private readonly opts: { clock: Clock; ttlMs: number; pseudonymize: Pseudonymizer },
  ) {}

  /** Seconds left until the batch expires; 0 or less when it has. */
  private secondsLeft(record: BatchRecord): number {
    return (record.createdAt + this.opts.ttlMs - this.opts.clock.now()) / 1000;
  }

  /** The live document, or undefined for a missing or expired one (or a key that is not a batch). */
  private live(doc: BatchDoc | undefined): BatchDoc | undefined {
    return doc?.record?.batchId !== undefined && this.secondsLeft(doc.record) > 0 ? doc : undefined;
  }

  async create(record: BatchRecord): Promise<void> {
    const ttlSeconds = this.secondsLeft(record);
    // Created already expired (its creation time is past the TTL): there is nothing to keep.
    if (ttlSeconds <= 0) return;
    const expiresAt = record.createdAt + this.opts.ttlMs;
    await this.state.update<BatchIndexDoc, void>(batchIndexDaprKey(record.tenantId), (stored) => {
      const now = this.opts.clock.now();
      const batches = (stored?.batches ?? []).filter(([id, until]) => until > now && id !== record.batchId);
      batches.push([record.batchId, expiresAt]);
      const last = Math.max(...batches.map(([, until]) => until));
      return { value: { batches }, ttlSeconds: (last - now) / 1000, result: undefined };
    });
    await this.state.update<BatchDoc, void>(batchDaprKey(record.tenantId, record.batchId), () => ({ value: { record: structuredClone(record), counted: [] }, ttlSeconds, result: undefined }));
  }

  async get(tenantId: string, batchId: string): Promise<BatchRecord | undefined> {
    return this.live((await this.state.get<BatchDoc>(batchDaprKey(tenantId, batchId)))?.value)?.record;
  }

  startChunk(tenantId: string, batchId: string, at: number): Promise<ChunkStart> {
    return this.state.update<BatchDoc, ChunkStart>(batchDaprKey(tenantId, batchId), (stored) => {
      const doc = this.live(stored);
      if (!doc) return { result: { kind: 'unknown' } };
      if (doc.record.cancelledAt !== undefined) return { result: { kind: 'cancelled' } };
      if (doc.record.startedAt !== undefined) return { result: { kind: 'run', firstStart: false } };
      return { value: { ...doc, record: { ...doc.record, startedAt: at } }, ttlSeconds: this.secondsLeft(doc.record), result: { kind: 'run', firstStart: true } };
    });
  }

  async recordChunk(tenantId: string, batchId: string, chunkId: number, outcome: ChunkOutcome, at: number): Promise<ChunkCount> {
    const key = batchDaprKey(tenantId, batchId);
    const doc = this.live((await this.state.get<BatchDoc>(key))?.value);
    if (!doc) return { kind: 'unknown' };
    if (doc.counted.some(([id]) => id === chunkId)) return { kind: 'repeat' };
    const chunkKey = batchChunkDaprKey(tenantId, batchId, chunkId);
    const ttlSeconds = this.secondsLeft(doc.record);
    const created = await this.state.save(chunkKey, outcome, { expect: 'absent', ttlSeconds });
    // Another delivery of this chunk wrote its outcome first: that one is what counts.
    const counted = created ? outcome : (await this.state.get<ChunkOutcome>(chunkKey))?.value;
    if (!counted) return { kind: 'unknown' };
    let erased: readonly string[] = [];
    const count = await this.state.update<BatchDoc, ChunkCount>(key, (stored) => {
      const current = this.live(stored);
      if (!current) return { result: { kind: 'unknown' } };
      if (current.counted.some(([id]) => id === chunkId)) return { result: { kind: 'repeat' } };
      const r = structuredClone(current.record);
      r.succeeded += counted.results.length;
      r.failed += counted.failures.length;
      r.processed += counted.results.length + counted.failures.length;
      erased = current.erased ?? [];
      r.errors = mergeErrors(r.errors, counted.failures, this.isErased(tenantId, erased));
      const finishedNow = r.processed >= r.total && r.finishedAt === undefined;
      if (finishedNow) r.finishedAt = at;
      const next: BatchDoc = { ...current, record: r, counted: [...current.counted, [chunkId, counted.results.length]] };
      return { value: next, ttlSeconds: this.secondsLeft(r), result: { kind: 'counted', record: structuredClone(r), finishedNow } };
    });
    // A student erased since the chunk was recalculated: their outcome leaves the chunk's document too.
    if (count.kind === 'counted' && erased.length > 0) {
      const isErased = this.isErased(tenantId, erased);
      const named = new Set([...counted.results.map((r) => r.studentId), ...counted.failures.map((f) => f.studentId)].filter(isErased));
      for (const studentId of named) await this.forgetInChunk(chunkKey, studentId, doc.record);
    }
    return count;
  }

  /** Whether a student id is among a batch's erased pseudonyms. */
  private isErased(tenantId: string, erased: readonly string[] | undefined): (studentId: string) => boolean {
    const pseudonyms = new Set(erased);
    // Most batches never see an erasure: no pseudonym is computed for them.
    if (pseudonyms.size === 0) return () => false;
    return (studentId) => pseudonyms.has(this.opts.pseudonymize(tenantId, studentId));
  }

  /** Takes the student out of one chunk's document (their result becomes null, offsets stay). */
  private async forgetInChunk(chunkKey: string, studentId: string, record: BatchRecord): Promise<void> {
    await this.state.update<ChunkDoc, void>(chunkKey, (stored) => {
      const ttlSeconds = this.secondsLeft(record);
      if (!stored || !names(stored, studentId) || ttlSeconds <= 0) return { result: undefined };
      const value = { results: stored.results.map((r) => (r?.studentId === studentId ? null : r)), failures: stored.failures.filter((f) => f.studentId !== studentId) };
      return { value, ttlSeconds, result: undefined };
    });
  }

  cancel(tenantId: string, batchId: string, at: number): Promise<BatchRecord | undefined> {
    return this.state.update<BatchDoc, BatchRecord | undefined>(batchDaprKey(tenantId, batchId), (stored) => {
      const doc = this.live(stored);
      if (!doc) return { result: undefined };
      if (doc.record.processed >= doc.record.total || doc.record.cancelledAt !== undefined) return { result: doc.record };
      const record = { ...doc.record, cancelledAt: at };
      return { value: { ...doc, record }, ttlSeconds: this.secondsLeft(record), result: record };
    });
  }

  async results(tenantId: string, batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage | undefined> {
    const from = cursor === undefined ? 0 : parseCursor(cursor);
    if (from === undefined) return undefined;
    const doc = this.live((await this.state.get<BatchDoc>(batchDaprKey(tenantId, batchId)))?.value);
    if (!doc) return undefined;
    // The chunks that hold results [from, from + limit), found by the counts in the index.
    const wanted: { chunkId: number; skip: number }[] = [];
    let offset = 0;
    for (const [chunkId, n] of doc.counted) {
      if (offset + n > from && offset < from + limit) wanted.push({ chunkId, skip: Math.max(0, from - offset) });
      offset += n;
    }
    // A chunk counted since an erasure is rewritten just after its count: until then, the list hides the student.
    const isErased = this.isErased(tenantId, doc.erased);
    const chunks = await this.state.getMany<ChunkDoc>(wanted.map((w) => batchChunkDaprKey(tenantId, batchId, w.chunkId)));
    const items = wanted
      .flatMap((w, i) => chunks[i]?.value.results.slice(w.skip) ?? [])
      .slice(0, limit)
      .filter((r): r is StudentResult => r !== null && !isErased(r.studentId));
    return from + limit < offset ? { items, nextCursor: String(from + limit) } : { items };
  }

  async forgetStudent(tenantId: string, studentId: string, at: number): Promise<void> {
    const index = (await this.state.get<BatchIndexDoc>(batchIndexDaprKey(tenantId)))?.value;
    const pseudonym = this.opts.pseudonymize(tenantId, studentId);
    for (const [batchId, expiresAt] of index?.batches ?? []) {
      if (expiresAt <= at) continue;
      // In the batch document: the student joins the erased and leaves the error groups' examples.
      // Chunks counted after this see the erased list; the ones counted before come back here.
      const found = await this.state.update<BatchDoc, { record: BatchRecord; counted: number[] } | undefined>(batchDaprKey(tenantId, batchId), (stored) => {
        const doc = this.live(stored);
        if (!doc) return { result: undefined };
        const counted = doc.counted.map(([id]) => id);
        if (doc.erased?.includes(pseudonym)) return { result: { record: doc.record, counted } };
        const record = { ...doc.record, errors: doc.record.errors.map((g) => ({ ...g, studentIds: g.studentIds.filter((id) => id !== studentId) })) };
        return { value: { ...doc, record, erased: [...(doc.erased ?? []), pseudonym] }, ttlSeconds: this.secondsLeft(record), result: { record, counted } };
      });
      if (!found) continue;
      const keys = found.counted.map((chunkId) => batchChunkDaprKey(tenantId, batchId, chunkId));
      const chunks = await this.state.getMany<ChunkDoc>(keys);
      for (const [i, key] of keys.entries()) if (chunks[i] && names(chunks[i].value, studentId)) await this.forgetInChunk(key, studentId, found.record);
    }
  }
}

const names = (chunk: ChunkDoc, studentId: string): boolean => chunk.results.some((r) => r?.studentId === studentId) || chunk.failures.some((f) => f.studentId === studentId);
