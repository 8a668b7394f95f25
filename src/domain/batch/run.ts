import type { BatchQueue } from '../../ports/batch-queue.port';
import type { BatchStore, ResultPage } from '../../ports/batch-store.port';
import type { Clock } from '../../ports/clock.port';
import type { CohortStore } from '../../ports/cohort-store.port';
import type { IdSource } from '../../ports/id-source.port';
import { canReadStudent, type Principal } from '../access/access';
import type { CurriculumSource } from '../../ports/curriculum-source.port';
import { chunksOf, distinctIds, type BatchPriority, type BatchRecord, type BatchSpec, type Chunk, type ChunkOutcome } from './batch';
import { recalculateChunk, type RecalculationDeps } from './recalculate';
import { unknownTopicsOf, type UnknownTopics } from '../mastery/curriculum';

export interface BatchDeps {
  batches: BatchStore;
  queue: BatchQueue;
  cohorts: CohortStore;
  ids: IdSource;
  clock: Clock;
  /** Each tenant's curriculum: topic ids are checked against the submitter's tenant's. */
  curricula: CurriculumSource;
  /** Students per chunk (BATCH_CHUNK_SIZE). */
  chunkSize: number;
}

export interface BatchRequest {
  studentIds?: readonly string[];
  cohortId?: string;
  topicIds?: readonly string[];
  priority: BatchPriority;
}

export type SubmitOutcome =
  | { kind: 'accepted'; record: BatchRecord }
  | { kind: 'forbidden'; reason: string }
  | UnknownTopics
  | { kind: 'unknown_cohort' }
  | { kind: 'empty' };

/** Staff are named in a batch by role and subject, like in the audit log. */
const requesterOf = (p: Principal): string => `${p.role}:${p.subject}`;

/**
 * Who may recalculate whom: admins and services their whole tenant; a teacher only students of the
 * cohorts they teach (a cohort they do not teach answers as unknown, so its existence is not
 * disclosed); students never.
 */
async function studentsFor(deps: BatchDeps, principal: Principal, req: BatchRequest): Promise<{ ids: string[] } | Exclude<SubmitOutcome, { kind: 'accepted' }>> {
  if (principal.role === 'student') return { kind: 'forbidden', reason: 'students do not run batches' };
  if (req.cohortId !== undefined) {
    const cohort = await deps.cohorts.get(principal.tenantId, req.cohortId);
    if (!cohort || (principal.role === 'teacher' && !cohort.teacherIds.includes(principal.subject))) return { kind: 'unknown_cohort' };
    return { ids: [...cohort.studentIds] };
  }
  const ids = distinctIds(req.studentIds ?? []);
  if (principal.role === 'teacher') {
    const cohorts = await deps.cohorts.list(principal.tenantId);
    if (!ids.every((id) => canReadStudent(principal, id, cohorts))) return { kind: 'forbidden', reason: 'teachers recalculate only students of cohorts they teach' };
  }
  return { ids };
}

/**
 * Accepts a batch: checks the request, records the batch and queues its chunks. The record is
 * written before the chunks are queued, so a worker never meets a chunk of an unknown batch; a
 * failure to queue leaves a batch that never starts and expires with BATCH_TTL_DAYS (the caller
 * sees the error and submits again).
 */
export async function submitBatch(deps: BatchDeps, principal: Principal, req: BatchRequest): Promise<SubmitOutcome> {
  const topicIds = req.topicIds ? distinctIds(req.topicIds) : undefined;
  const { curriculum } = await deps.curricula.forTenant(principal.tenantId);
  const unknown = unknownTopicsOf(curriculum, topicIds);
  if (unknown) return unknown;
  const students = await studentsFor(deps, principal, req);
  if (!('ids' in students)) return students;
  if (students.ids.length === 0) return { kind: 'empty' };
  const spec: BatchSpec = {
    batchId: deps.ids.next(),
    tenantId: principal.tenantId,
    priority: req.priority,
    studentIds: students.ids,
    ...(topicIds ? { topicIds } : {}),
    createdAt: deps.clock.now(),
    requestedBy: requesterOf(principal),
  };
  const chunks = chunksOf(spec, deps.chunkSize);
  const record: BatchRecord = {
    batchId: spec.batchId,
    tenantId: spec.tenantId,
    priority: spec.priority,
    ...(topicIds ? { topicIds } : {}),
    total: spec.studentIds.length,
    chunks: chunks.length,
    processed: 0,
    succeeded: 0,
    failed: 0,
    errors: [],
    createdAt: spec.createdAt,
    requestedBy: spec.requestedBy,
  };
  await deps.batches.create(record);
  await deps.queue.enqueue(chunks);
  return { kind: 'accepted', record };
}

/**
 * A batch as `principal` may see it: admins and services every batch of their tenant, a teacher the
 * batches they submitted. Any other answers undefined, like an unknown id (nothing disclosed).
 */
export async function visibleBatch(deps: Pick<BatchDeps, 'batches'>, principal: Principal, batchId: string): Promise<BatchRecord | undefined> {
  if (principal.role === 'student') return undefined;
  const record = await deps.batches.get(principal.tenantId, batchId);
  if (!record || (principal.role === 'teacher' && record.requestedBy !== requesterOf(principal))) return undefined;
  return record;
}

export async function cancelBatch(deps: Pick<BatchDeps, 'batches' | 'clock'>, principal: Principal, batchId: string): Promise<BatchRecord | undefined> {
  if (!(await visibleBatch(deps, principal, batchId))) return undefined;
  return deps.batches.cancel(principal.tenantId, batchId, deps.clock.now());
}

export async function batchResults(deps: Pick<BatchDeps, 'batches'>, principal: Principal, batchId: string, cursor: string | undefined, limit: number): Promise<ResultPage | 'not_found' | 'bad_cursor'> {
  if (!(await visibleBatch(deps, principal, batchId))) return 'not_found';
  return (await deps.batches.results(principal.tenantId, batchId, cursor, limit)) ?? 'bad_cursor';
}

/** What processing one delivery of a chunk came to, for metrics and logs. */
export type ChunkRun =
  | { kind: 'counted'; outcome: ChunkOutcome; record: BatchRecord; firstStart: boolean; finishedNow: boolean }
  /** Counted before (a redelivery after a crash or a rebalance): recalculated again, harmlessly, not counted. */
  | { kind: 'repeat'; firstStart: boolean }
  | { kind: 'skipped'; reason: 'cancelled' | 'unknown' };

/**
 * Processes one delivery of a chunk, on whichever replica got it. Every step is idempotent (the
 * recalculation within a day, the count per chunk id), so a chunk delivered again after a crash is
 * harmless. Rejects when a store fails: the queue delivers the chunk again later.
 */
export async function processChunk(deps: { batches: BatchStore; recalculation: RecalculationDeps }, chunk: Chunk): Promise<ChunkRun> {
  const { clock } = deps.recalculation;
  const start = await deps.batches.startChunk(chunk.tenantId, chunk.batchId, clock.now());
  if (start.kind !== 'run') return { kind: 'skipped', reason: start.kind };
  const outcome = await recalculateChunk(deps.recalculation, chunk.tenantId, chunk.studentIds, chunk.topicIds);
  const count = await deps.batches.recordChunk(chunk.tenantId, chunk.batchId, chunk.chunkId, outcome, clock.now());
  switch (count.kind) {
    case 'counted':
      return { kind: 'counted', outcome, record: count.record, firstStart: start.firstStart, finishedNow: count.finishedNow };
    case 'repeat':
      return { kind: 'repeat', firstStart: start.firstStart };
    case 'unknown':
      return { kind: 'skipped', reason: 'unknown' };
  }
}
