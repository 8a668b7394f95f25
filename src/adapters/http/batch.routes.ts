import { Elysia, t } from 'elysia';
import { MAX_BATCH_STUDENTS, PRIORITIES, statusOf, type BatchPriority, type BatchRecord } from '../../domain/batch/batch';
import { batchResults, cancelBatch, submitBatch, visibleBatch, type BatchDeps } from '../../domain/batch/run';
import type { Logger } from 'pino';
import { batchLogFields, type BatchMetrics } from '../observability/batch-observer';
import { audit, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { principalOf } from './request-context';
import { API_ERRORS, ErrorSchema, Id, Int, Level, QueryInt, SECURED, Unit } from './schemas';

/** The largest body a submission can need: MAX_BATCH_STUDENTS ids of the longest length, quoted, plus the rest. */
export const BATCH_BODY_LIMIT_BYTES = MAX_BATCH_STUDENTS * 131 + 16_384;

const Priority = t.Union([t.Literal(PRIORITIES[0]), t.Literal(PRIORITIES[1]), t.Literal(PRIORITIES[2])]);
const StatusSchema = t.Union([t.Literal('queued'), t.Literal('running'), t.Literal('completed'), t.Literal('completed_with_errors'), t.Literal('cancelled')]);
const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

const BatchSchema = t.Object({
  batch_id: t.String(),
  status: StatusSchema,
  priority: Priority,
  topic_ids: t.Nullable(t.Array(t.String())),
  total: Int({ minimum: 0 }),
  processed: Int({ minimum: 0 }),
  succeeded: Int({ minimum: 0 }),
  failed: Int({ minimum: 0 }),
  errors: t.Array(t.Object({ code: t.String(), count: Int({ minimum: 1 }), student_ids: t.Array(t.String(), { description: 'at most 20 of them' }) })),
  created_at: t.String({ format: 'date-time' }),
  started_at: t.Nullable(t.String({ format: 'date-time' })),
  finished_at: t.Nullable(t.String({ format: 'date-time' })),
});

const wire = (r: BatchRecord) => ({
  batch_id: r.batchId,
  status: statusOf(r),
  priority: r.priority,
  topic_ids: r.topicIds ?? null,
  total: r.total,
  processed: r.processed,
  succeeded: r.succeeded,
  failed: r.failed,
  errors: r.errors.map((e) => ({ code: e.code, count: e.count, student_ids: e.studentIds })),
  created_at: iso(r.createdAt)!,
  started_at: iso(r.startedAt),
  // A cancelled batch is finished when it was cancelled (chunks already running may still count).
  finished_at: iso(r.finishedAt ?? r.cancelledAt),
});

interface Deps extends HttpAuditDeps {
  batch: { deps: BatchDeps; metrics: BatchMetrics };
  logger: Logger;
}

const notFound = () => new ApiError('not_found', 'no such batch');

/**
 * Batch recalculation. Admins and services act on their tenant, teachers on the students of the
 * cohorts they teach (and see the batches they submitted); submissions and cancels are audited
 * like other admin actions. Another tenant's batch id answers 404, like an unknown one.
 */
export const batchRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1/batch', name: 'batch-routes' })
    .post(
      '/mastery',
      async ({ body, request, set }) => {
        const batch = deps.batch;
        const principal = principalOf(request);
        if ((body.student_ids === undefined) === (body.cohort_id === undefined)) {
          throw new ApiError('validation_failed', 'give exactly one of student_ids and cohort_id', [{ field: 'student_ids', code: 'one_of', message: 'exactly one of student_ids and cohort_id' }]);
        }
        const outcome = await submitBatch(batch.deps, principal, {
          ...(body.student_ids ? { studentIds: body.student_ids } : {}),
          ...(body.cohort_id !== undefined ? { cohortId: body.cohort_id } : {}),
          ...(body.topic_ids ? { topicIds: body.topic_ids } : {}),
          priority: (body.priority ?? 'normal') as BatchPriority,
        });
        const target = { other: body.cohort_id !== undefined ? `cohort:${body.cohort_id}` : `students:${body.student_ids?.length ?? 0}` };
        switch (outcome.kind) {
          case 'forbidden':
            await audit(deps, request, 'batch.submit', target, 'denied');
            throw new ApiError('forbidden', outcome.reason);
          case 'unknown_topics':
            throw new ApiError('validation_failed', 'unknown topic ids', outcome.topicIds.map((id) => ({ field: 'topic_ids', code: 'unknown_value', message: `topic ${id} is not in the curriculum` })));
          case 'unknown_cohort':
            throw new ApiError('not_found', 'no such cohort');
          case 'empty':
            throw new ApiError('validation_failed', 'the cohort has no students', [{ field: 'cohort_id', code: 'empty', message: 'the cohort has no students' }]);
          case 'accepted': {
            const r = outcome.record;
            await audit(deps, request, 'batch.submit', { other: `batch:${r.batchId}` }, 'success');
            batch.metrics.submitted.inc({ priority: r.priority });
            deps.logger.info(batchLogFields(r), 'batch queued');
            set.status = 202;
            set.headers.location = `/api/v1/batch/${r.batchId}`;
            return { batch_id: r.batchId, status: 'queued' as const, priority: r.priority, total: r.total, status_url: `/api/v1/batch/${r.batchId}` };
          }
        }
      },
      {
        parse: 'json',
        body: t.Object(
          {
            student_ids: t.Optional(t.Array(Id, { minItems: 1, maxItems: MAX_BATCH_STUDENTS, description: 'repeats are counted once' })),
            cohort_id: t.Optional(Id),
            topic_ids: t.Optional(t.Array(Id, { minItems: 1, maxItems: 1000 })),
            priority: t.Optional(Priority),
          },
          { additionalProperties: false },
        ),
        response: {
          202: t.Object({ batch_id: t.String(), status: t.Literal('queued'), priority: Priority, total: Int({ minimum: 1 }), status_url: t.String() }),
          404: ErrorSchema,
          ...API_ERRORS,
        },
        detail: { tags: ['batch'], summary: 'Recalculate many students, asynchronously (admins, services; teachers for their cohorts)', ...SECURED },
      },
    )
    .get(
      '/:batch_id',
      async ({ params, request }) => {
        const r = await visibleBatch(deps.batch.deps, principalOf(request), params.batch_id);
        if (!r) throw notFound();
        return wire(r);
      },
      {
        params: t.Object({ batch_id: Id }),
        response: { 200: BatchSchema, 404: ErrorSchema, ...API_ERRORS },
        detail: { tags: ['batch'], summary: "A batch's status and progress", ...SECURED },
      },
    )
    .get(
      '/:batch_id/results',
      async ({ params, query, request }) => {
        const page = await batchResults(deps.batch.deps, principalOf(request), params.batch_id, query.cursor, query.limit ?? 100);
        if (page === 'not_found') throw notFound();
        if (page === 'bad_cursor') throw new ApiError('validation_failed', 'cursor is not one this API gave', [{ field: 'cursor', code: 'invalid', message: 'use next_cursor from the previous page' }]);
        return {
          items: page.items.map((i) => ({ student_id: i.studentId, overall: { mastery_score: i.overall.masteryScore, level: i.overall.level }, topics_recalculated: i.topicsRecalculated })),
          next_cursor: page.nextCursor ?? null,
        };
      },
      {
        params: t.Object({ batch_id: Id }),
        query: t.Object({ cursor: t.Optional(t.String({ maxLength: 20 })), limit: t.Optional(QueryInt({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false }),
        response: {
          200: t.Object({
            items: t.Array(t.Object({ student_id: t.String(), overall: t.Object({ mastery_score: Unit, level: Level }), topics_recalculated: Int({ minimum: 0 }) })),
            next_cursor: t.Nullable(t.String()),
          }),
          404: ErrorSchema,
          ...API_ERRORS,
        },
        detail: { tags: ['batch'], summary: "A batch's results so far, in pages (limit up to 1000)", ...SECURED },
      },
    )
    .delete(
      '/:batch_id',
      async ({ params, request }) => {
        const principal = principalOf(request);
        const r = await cancelBatch(deps.batch.deps, principal, params.batch_id);
        if (!r) throw notFound();
        await audit(deps, request, 'batch.cancel', { other: `batch:${r.batchId}` }, 'success');
        if (r.cancelledAt !== undefined && r.processed < r.total) deps.logger.info(batchLogFields(r), 'batch cancelled');
        return wire(r);
      },
      {
        params: t.Object({ batch_id: Id }),
        response: { 200: BatchSchema, 404: ErrorSchema, ...API_ERRORS },
        detail: { tags: ['batch'], summary: 'Cancel the chunks of a batch that have not started', ...SECURED },
      },
    );
