/**
 * Batch recalculation: many students brought up to date at once, spread over replicas in chunks.
 * This file holds the rules (what a batch is, how it is cut, what its status is, which priority is
 * served next); recalculate.ts says what happens to one student, run.ts drives both.
 */

import type { Level } from '../mastery/mastery';

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type BatchPriority = (typeof PRIORITIES)[number];

export type BatchStatus = 'queued' | 'running' | 'completed' | 'completed_with_errors' | 'cancelled';

/** The most students one request may name: a submission stays one small write and answers fast. */
export const MAX_BATCH_STUDENTS = 10_000;

/** The most student ids an error keeps as examples: enough to look into, bounded whatever the batch size. */
export const ERROR_SAMPLE_SIZE = 20;

/** What an operator asked for, as accepted: ids already de-duplicated, in the order first given. */
export interface BatchSpec {
  batchId: string;
  tenantId: string;
  priority: BatchPriority;
  studentIds: string[];
  /** Only these topics; undefined for every topic each student has state in. */
  topicIds?: string[];
  createdAt: number;
  /** Who submitted it (`role:subject`), for the audit and the logs. */
  requestedBy: string;
}

/** A unit of work: a slice of a batch's students, processed and counted as one. */
export interface Chunk {
  batchId: string;
  tenantId: string;
  /** 0-based position in the batch; a chunk is counted once per id, however often it is delivered. */
  chunkId: number;
  priority: BatchPriority;
  studentIds: string[];
  topicIds?: string[];
}

/** Student ids with repeats removed, first occurrence kept: duplicates are counted once. */
export const distinctIds = (ids: readonly string[]): string[] => [...new Set(ids)];

/** Cuts a batch into chunks of at most `size` students, in order. */
export function chunksOf(spec: BatchSpec, size: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let i = 0; i < spec.studentIds.length; i += size) {
    chunks.push({
      batchId: spec.batchId,
      tenantId: spec.tenantId,
      chunkId: chunks.length,
      priority: spec.priority,
      studentIds: spec.studentIds.slice(i, i + size),
      ...(spec.topicIds ? { topicIds: spec.topicIds } : {}),
    });
  }
  return chunks;
}

/** One student's answer in a batch's results. */
export interface StudentResult {
  studentId: string;
  overall: { masteryScore: number; level: Level };
  topicsRecalculated: number;
}

/** Why a student was not recalculated: an expected outcome, counted, never retried. */
export type FailureCode = 'unknown_student' | 'no_consent';

export interface StudentFailure {
  studentId: string;
  code: FailureCode;
}

/** What one chunk produced: one entry per student, a result or a failure. */
export interface ChunkOutcome {
  results: StudentResult[];
  failures: StudentFailure[];
}

export interface ErrorGroup {
  code: string;
  count: number;
  /** At most ERROR_SAMPLE_SIZE of them. */
  studentIds: string[];
}

/** A batch as its store keeps it: the spec's summary and the counts of the chunks counted so far. */
export interface BatchRecord {
  batchId: string;
  tenantId: string;
  priority: BatchPriority;
  topicIds?: string[];
  total: number;
  chunks: number;
  processed: number;
  succeeded: number;
  failed: number;
  errors: ErrorGroup[];
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  cancelledAt?: number;
  requestedBy: string;
}

/**
 * The status shown for a record. Cancelled wins over everything but completion (a batch whose last
 * chunk was counted before the cancel is complete); a batch is running from its first chunk's start.
 */
export function statusOf(r: Pick<BatchRecord, 'total' | 'processed' | 'failed' | 'startedAt' | 'cancelledAt'>): BatchStatus {
  if (r.processed >= r.total) return r.failed > 0 ? 'completed_with_errors' : 'completed';
  if (r.cancelledAt !== undefined) return 'cancelled';
  return r.startedAt === undefined ? 'queued' : 'running';
}

/**
 * Adds a chunk's failures to the error groups, keeping at most ERROR_SAMPLE_SIZE ids per code.
 * Erased students are counted but never kept as examples (GDPR erasure).
 */
export function mergeErrors(groups: readonly ErrorGroup[], failures: readonly StudentFailure[], erased: (studentId: string) => boolean = () => false): ErrorGroup[] {
  const byCode = new Map(groups.map((g) => [g.code, { ...g, studentIds: [...g.studentIds] }]));
  for (const f of failures) {
    const g = byCode.get(f.code) ?? { code: f.code, count: 0, studentIds: [] };
    g.count += 1;
    if (g.studentIds.length < ERROR_SAMPLE_SIZE && !erased(f.studentId)) g.studentIds.push(f.studentId);
    byCode.set(f.code, g);
  }
  return [...byCode.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
}

/**
 * The priority rule, shared by the Kafka consumer and the in-process queue. Work is served from
 * the highest priority that has any waiting; a lower one is served only when every higher one is
 * empty, except that a priority held back for `maxWaitMs` is served too (alongside, never instead
 * of, the higher ones) until one of its chunks is done: the caller then drops its `heldSince`
 * entry, and its clock starts again. So high drains before normal and normal before low, and a
 * waiting priority gets a chunk done at least every maxWaitMs plus the time to reach and process
 * one of its chunks: the starvation bound.
 *
 * `waiting`: whether each priority has work waiting (Kafka: consumer lag > 0).
 * `heldSince`: when each priority was first held back while waiting (absent: not held).
 * Answers which priorities to serve now and the new `heldSince`.
 */
export function prioritySchedule(
  waiting: Readonly<Record<BatchPriority, boolean>>,
  heldSince: Readonly<Partial<Record<BatchPriority, number>>>,
  now: number,
  maxWaitMs: number,
): { serve: BatchPriority[]; heldSince: Partial<Record<BatchPriority, number>> } {
  const serve: BatchPriority[] = [];
  const held: Partial<Record<BatchPriority, number>> = {};
  let higherWaiting = false;
  for (const p of PRIORITIES) {
    if (!higherWaiting) serve.push(p);
    else if (waiting[p]) {
      const since = heldSince[p] ?? now;
      held[p] = since;
      if (now - since >= maxWaitMs) serve.push(p);
    }
    higherWaiting ||= waiting[p];
  }
  return { serve, heldSince: held };
}
