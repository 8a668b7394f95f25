import type { BatchRecord, ChunkOutcome, StudentResult } from '../domain/batch/batch';

/** What `startChunk` found: go ahead, the batch was cancelled (skip the chunk), or it is gone (expired). */
export type ChunkStart = { kind: 'run'; firstStart: boolean } | { kind: 'cancelled' } | { kind: 'unknown' };

/**
 * `counted`: the chunk's outcome is now in the batch's counts and results (`record` after it).
 * `repeat`: this chunk id was counted before (a redelivery); nothing changed. `unknown`: no such batch.
 */
export type ChunkCount = { kind: 'counted'; record: BatchRecord; finishedNow: boolean } | { kind: 'repeat' } | { kind: 'unknown' };

export interface ResultPage {
  items: StudentResult[];
  /** Where the next page starts; undefined on the last page. */
  nextCursor?: string;
}

/**
 * Where batches, their progress and their results live, shared by every replica. Promises:
 * - `recordChunk` is atomic and idempotent per (batch, chunk id): a chunk's outcome is counted
 *   once however often it is recorded, from any replica, so processed never exceeds total and each
 *   student is counted once; the call that brings processed to total sets `finishedAt` and
 *   answers `finishedNow`, exactly one call does.
 * - `startChunk` marks the batch started (its first call answers `firstStart`) unless it was
 *   cancelled; `cancel` stops chunks from starting from then on, chunks already started still count.
 *   A batch whose every chunk was counted is finished and cannot be cancelled.
 * - A batch and everything under it expire `ttlMs` (BATCH_TTL_DAYS) after creation; an expired
 *   or unknown batch, or one of another tenant, reads as undefined, never throws.
 * - results come in the order chunks were counted, paged by an opaque cursor.
 * - `forgetStudent` (GDPR erasure): afterwards no live batch of the tenant names the student, in its
 *   results nor in its error groups' example ids, on any replica; the counts (processed, succeeded,
 *   failed, total and each error group's count) stay, they name no one. Cursors stay valid: a page
 *   after an erasure may hold fewer than `limit` items. The batch keeps the student's pseudonym
 *   (never the id) until it expires, so a chunk counted later, whenever it was recalculated, is
 *   counted without keeping the student's result or id: a recalculation that read the state before
 *   the erasure cannot bring the student back.
 * - Values returned are copies; backend failures reject with StoreUnavailableError.
 */
export interface BatchStore {
  create(record: BatchRecord): Promise<void>;
  get(tenantId: string, batchId: string): Promise<BatchRecord | undefined>;
  startChunk(tenantId: string, batchId: string, at: number): Promise<ChunkStart>;
  recordChunk(tenantId: string, batchId: string, chunkId: number, outcome: ChunkOutcome, at: number): Promise<ChunkCount>;
  /** The record after the cancel, or undefined for an unknown batch. */
  cancel(tenantId: string, batchId: string, at: number): Promise<BatchRecord | undefined>;
  /** undefined for an unknown batch or a cursor this store did not make. */
  results(tenantId: string, batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage | undefined>;
  /** Removes the student's results and example ids from every live batch of the tenant (see above); idempotent. */
  forgetStudent(tenantId: string, studentId: string, at: number): Promise<void>;
}

/** A results cursor is the offset of the next result, as a decimal string; anything else is not a cursor. */
export function parseCursor(cursor: string): number | undefined {
  return /^(0|[1-9][0-9]{0,8})$/.test(cursor) ? Number(cursor) : undefined;
}
