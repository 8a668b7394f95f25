import { Type } from '@sinclair/typebox';
import { Elysia, t, type Static } from 'elysia';
import { canGiveRecommendationFeedback, canSeeRecommendationEffect, visibleCohorts } from '../../domain/access/access';
import { FEEDBACK_STATUSES } from '../../domain/recommendation/effect';
import {
  adaptiveRecommendations,
  giveFeedback,
  learningPathFor,
  recommendationEffect,
  recommendationHistory,
  type RecommendationDeps,
} from '../../domain/recommendation/recommendations';
import { ACTIONS, AREAS, PRIORITIES } from '../../domain/recommendation/rules';
import type { CohortStore } from '../../ports/cohort-store.port';
import type { RecommendationRecord, ServedRecommendation } from '../../ports/recommendation-store.port';
import { audit, auditInBackground, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { authorizeStudentRead, unknownTopics } from './mastery.routes';
import { principalOf } from './request-context';
import { API_ERRORS, ErrorSchema, Id, Int, SECURED, Unit } from './schemas';

interface Deps extends HttpAuditDeps {
  recommendations: RecommendationDeps;
  cohorts: CohortStore;
}

// Unions spelt out member by member: Elysia cannot infer a route's answer from a union built by map().
const Action = t.Union([t.Literal(ACTIONS[0]), t.Literal(ACTIONS[1]), t.Literal(ACTIONS[2]), t.Literal(ACTIONS[3])]);
const Area = t.Union([t.Literal(AREAS[0]), t.Literal(AREAS[1]), t.Literal(AREAS[2]), t.Literal(AREAS[3]), t.Literal(AREAS[4])]);
const Priority = t.Union([t.Literal(PRIORITIES[0]), t.Literal(PRIORITIES[1]), t.Literal(PRIORITIES[2])]);
const Status = t.Union([t.Literal(FEEDBACK_STATUSES[0]), t.Literal(FEEDBACK_STATUSES[1]), t.Literal(FEEDBACK_STATUSES[2])]);
const iso = (ms: number): string => new Date(ms).toISOString();

export const RecommendationSchema = t.Object({
  recommendation_id: t.String(),
  topic_id: t.String(),
  area: Area,
  action: Action,
  priority: Priority,
  expected_gain: t.Number({
    minimum: 0,
    description: 'mastery points the action adds by lifting its component to the threshold, weighted up when started topics build on this one',
  }),
  estimated_minutes: Int({ minimum: 1 }),
  reason: t.String(),
  items: t.Optional(
    t.Array(t.String(), {
      description: 'for review: the next lessons not yet completed, in curriculum order',
    }),
  ),
  due_at: t.Optional(
    t.String({
      format: 'date-time',
      description: 'for retention: when the review fell due',
    }),
  ),
});

const FeedbackSchema = t.Object({
  status: Status,
  helpful: t.Nullable(t.Boolean()),
  at: t.String({ format: 'date-time' }),
});

/** A served recommendation with when it was served and its latest feedback: history and export. */
export const RecommendationRecordSchema = t.Object({
  ...RecommendationSchema.properties,
  served_at: t.String({ format: 'date-time' }),
  feedback: t.Nullable(FeedbackSchema),
});

function recommendationWire(r: ServedRecommendation): Static<typeof RecommendationSchema> {
  const wire: Static<typeof RecommendationSchema> = {
    recommendation_id: r.recommendationId,
    topic_id: r.topicId,
    area: r.area,
    action: r.action,
    priority: r.priority,
    expected_gain: r.expectedGain,
    estimated_minutes: r.estimatedMinutes,
    reason: r.reason,
  };
  if (r.items) wire.items = r.items;
  if (r.dueAt !== undefined) wire.due_at = iso(r.dueAt);
  return wire;
}

export const recommendationRecordWire = (r: RecommendationRecord): Static<typeof RecommendationRecordSchema> => ({
  ...recommendationWire(r),
  served_at: iso(r.servedAt),
  feedback: r.feedback
    ? {
        status: r.feedback.status,
        helpful: r.feedback.helpful ?? null,
        at: iso(r.feedback.at),
      }
    : null,
});

const AdaptiveSchema = t.Object(
  {
    student_id: t.String(),
    generated_at: t.String({ format: 'date-time' }),
    recommendations: t.Array(RecommendationSchema),
  },
  { additionalProperties: false },
);

const PathSchema = t.Object(
  {
    student_id: t.String(),
    target_topic_id: t.Nullable(t.String()),
    steps: t.Array(
      t.Object({
        order: Int({ minimum: 1 }),
        topic_id: t.String(),
        action: Action,
        reason: t.String(),
        estimated_minutes: Int({ minimum: 1 }),
        prerequisites: t.Array(t.String()),
        expected_mastery_after: Unit,
      }),
    ),
    total_estimated_minutes: Int({ minimum: 0 }),
  },
  { additionalProperties: false },
);

const EffectGroupSchema = t.Object({
  count: Int({ minimum: 0 }),
  mean_change: t.Nullable(
    t.Number({
      description: "mean change of the topic's mastery over the horizon after the feedback",
    }),
  ),
});
const EffectSchema = t.Object(
  {
    horizon_days: Int({ minimum: 1 }),
    students: Int({ minimum: 0 }),
    completed: EffectGroupSchema,
    dismissed: EffectGroupSchema,
    pending: Int({ minimum: 0 }),
    note: t.String(),
  },
  { additionalProperties: false },
);

const OBSERVATIONAL =
  'Observational, not causal: students choose what they complete, and those who complete recommendations may have improved anyway. Counts are of recommendations whose week after the feedback is over.';

/** The student in the caller's tenant, once the caller may read their recommendations (audited either way). */
async function readableStudent(deps: Deps, request: Request, studentId: string): Promise<{ tenantId: string; studentId: string }> {
  const principal = principalOf(request);
  await authorizeStudentRead(deps, request, principal, studentId, 'recommendation.read');
  return { tenantId: principal.tenantId, studentId };
}

export const recommendationRoutes = (deps: Deps) =>
  new Elysia({
    prefix: '/api/v1/recommendations',
    name: 'recommendation-routes',
  })
    .post(
      '/adaptive',
      async ({ body, request }) => {
        const ref = await readableStudent(deps, request, body.student_id);
        const result = await adaptiveRecommendations(deps.recommendations, ref, {
          ...(body.topic_ids ? { topicIds: body.topic_ids } : {}),
          limit: body.limit ?? 10,
        });
        if (result.kind === 'unknown_topics') throw unknownTopics(result.topicIds);
        return {
          student_id: result.studentId,
          generated_at: iso(result.set.generatedAt),
          recommendations: result.set.recommendations.map(recommendationWire),
        };
      },
      {
        parse: 'json',
        body: t.Object(
          {
            student_id: Id,
            topic_ids: t.Optional(t.Array(Id, { maxItems: 100, uniqueItems: true })),
            limit: t.Optional(
              Type.Integer({
                minimum: 1,
                maximum: 50,
                description: 'default 10',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: AdaptiveSchema, ...API_ERRORS },
        detail: {
          tags: ['recommendations'],
          summary: 'What the student should do next: one recommendation per component below the threshold, by priority and expected gain',
          ...SECURED,
        },
      },
    )
    .post(
      '/learning-path',
      async ({ body, request }) => {
        const ref = await readableStudent(deps, request, body.student_id);
        const result = await learningPathFor(deps.recommendations, ref, {
          ...(body.target_topic_id !== undefined ? { targetTopicId: body.target_topic_id } : {}),
          maxSteps: body.max_steps ?? 50,
        });
        if (result.kind === 'unknown_topics') throw unknownTopics(result.topicIds);
        const p = result.path;
        return {
          student_id: result.studentId,
          target_topic_id: p.targetTopicId,
          steps: p.steps.map((s) => ({
            order: s.order,
            topic_id: s.topicId,
            action: s.action,
            reason: s.reason,
            estimated_minutes: s.estimatedMinutes,
            prerequisites: s.prerequisites,
            expected_mastery_after: s.expectedMasteryAfter,
          })),
          total_estimated_minutes: p.totalEstimatedMinutes,
        };
      },
      {
        parse: 'json',
        body: t.Object(
          {
            student_id: Id,
            target_topic_id: t.Optional(Id),
            max_steps: t.Optional(
              Type.Integer({
                minimum: 1,
                maximum: 50,
                description: 'default 50',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: PathSchema, ...API_ERRORS },
        detail: {
          tags: ['recommendations'],
          summary: 'The topics to work through, prerequisites first and weak ones first, to a target or through the curriculum',
          ...SECURED,
        },
      },
    )
    .post(
      '/:recommendation_id/feedback',
      async ({ body, params, request }) => {
        const principal = principalOf(request);
        const rosters = principal.role === 'teacher' ? await deps.cohorts.list(principal.tenantId) : [];
        const target = { studentId: body.student_id };
        if (!canGiveRecommendationFeedback(principal, body.student_id, rosters)) {
          await audit(deps, request, 'recommendation.feedback', target, 'denied');
          throw new ApiError('forbidden', 'only the student or a teacher of theirs may give feedback on their recommendations');
        }
        const ref = {
          tenantId: principal.tenantId,
          studentId: body.student_id,
        };
        const feedback = {
          status: body.status,
          ...(body.helpful !== undefined ? { helpful: body.helpful } : {}),
        };
        const outcome = await giveFeedback(deps.recommendations, ref, params.recommendation_id, feedback);
        if (outcome === 'not_found') {
          auditInBackground(deps, request, 'recommendation.feedback', target, 'failure');
          throw new ApiError('not_found', 'no such recommendation for this student (or it has expired)');
        }
        await audit(deps, request, 'recommendation.feedback', target, 'success');
        return {
          recommendation_id: params.recommendation_id,
          student_id: body.student_id,
          status: body.status,
          helpful: body.helpful ?? null,
        };
      },
      {
        parse: 'json',
        params: t.Object({ recommendation_id: Id }),
        body: t.Object(
          {
            student_id: Id,
            status: Status,
            helpful: t.Optional(t.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: t.Object(
            {
              recommendation_id: t.String(),
              student_id: t.String(),
              status: Status,
              helpful: t.Nullable(t.Boolean()),
            },
            { additionalProperties: false },
          ),
          404: ErrorSchema,
          ...API_ERRORS,
        },
        detail: {
          tags: ['recommendations'],
          summary: 'Accept, dismiss or complete a recommendation (the student, or a teacher of theirs)',
          ...SECURED,
        },
      },
    )
    .get(
      '/history/:student_id',
      async ({ params, request }) => {
        const records = await recommendationHistory(deps.recommendations, await readableStudent(deps, request, params.student_id));
        return {
          student_id: params.student_id,
          recommendations: records.map(recommendationRecordWire),
        };
      },
      {
        params: t.Object({ student_id: Id }),
        response: {
          200: t.Object(
            {
              student_id: t.String(),
              recommendations: t.Array(RecommendationRecordSchema),
            },
            { additionalProperties: false },
          ),
          ...API_ERRORS,
        },
        detail: {
          tags: ['recommendations'],
          summary: 'What was recommended to the student, newest first, with the feedback given',
          ...SECURED,
        },
      },
    )
    .get(
      '/effect',
      async ({ query, request }) => {
        const principal = principalOf(request);
        const scope = {
          other: query.cohort_id === undefined ? 'recommendations:effect' : `cohort:${query.cohort_id}`,
        };
        if (!canSeeRecommendationEffect(principal)) {
          await audit(deps, request, 'recommendation.effect', scope, 'denied');
          throw new ApiError('forbidden', 'only teachers and admins see the effect of recommendations');
        }
        const cohorts = visibleCohorts(principal, await deps.cohorts.list(principal.tenantId)).filter((c) => query.cohort_id === undefined || c.cohortId === query.cohort_id);
        // A cohort the principal cannot see answers like a missing one: its id is not disclosed.
        if (query.cohort_id !== undefined && cohorts.length === 0) throw new ApiError('not_found', 'no such cohort');
        const students = [...new Set(cohorts.flatMap((c) => c.studentIds))].sort().map((studentId) => ({ tenantId: principal.tenantId, studentId }));
        const effect = await recommendationEffect(deps.recommendations, students);
        auditInBackground(deps, request, 'recommendation.effect', scope, 'success');
        return {
          horizon_days: effect.horizonDays,
          students: effect.students,
          completed: {
            count: effect.completed.count,
            mean_change: effect.completed.meanChange,
          },
          dismissed: {
            count: effect.dismissed.count,
            mean_change: effect.dismissed.meanChange,
          },
          pending: effect.pending,
          note: OBSERVATIONAL,
        };
      },
      {
        query: t.Object({ cohort_id: t.Optional(Id) }),
        response: { 200: EffectSchema, 404: ErrorSchema, ...API_ERRORS },
        detail: {
          tags: ['recommendations'],
          summary:
            "Mean change of a topic's mastery in the week after a recommendation was completed versus dismissed, over the students of the principal's cohorts (teachers, admins); observational, not causal",
          ...SECURED,
        },
      },
    );
