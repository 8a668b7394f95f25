import { Type } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import type { Principal } from '../../domain/access/access';
import { visibleCohorts } from '../../domain/access/access';
import { atRisk, MAX_TRAJECTORY_DAYS, predictNextWeek, predictTrajectory, type NextWeekPrediction, type PredictionDeps, type Trajectory } from '../../domain/prediction/predict';
import type { CohortStore } from '../../ports/cohort-store.port';
import { dayOf, isoDay } from '../../domain/mastery/topic-state';
import { auditInBackground, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { authorizeStudentRead, unknownTopics } from './mastery.routes';
import { principalOf } from './request-context';
import { API_ERRORS, ErrorSchema, Id, Level, QueryInt, SECURED, Unit } from './schemas';

interface Deps extends HttpAuditDeps {
  predictions: PredictionDeps;
  cohorts: CohortStore;
}

const Trend = t.Union([t.Literal('improving'), t.Literal('stable'), t.Literal('declining')]);
const ReasonCode = t.Union([t.Literal('predicted_below_threshold'), t.Literal('declining'), t.Literal('inactive'), t.Literal('review_overdue'), t.Literal('insufficient_history')]);
const ModelSchema = t.Object({ name: t.String(), version: t.String() });
const AsOf = t.String({ format: 'date-time', description: 'answer from the events that occurred up to then, as if it were then (teachers, admins and services only)' });

const NextWeekSchema = t.Object(
  {
    student_id: t.String(),
    as_of: t.String({ format: 'date-time' }),
    horizon_days: t.Literal(7),
    overall: t.Object({ current: Unit, predicted: Unit, low: Unit, high: Unit, level_predicted: Level, trend: Trend }),
    topics: t.Array(
      t.Object({
        topic_id: t.String(),
        current: Unit,
        predicted: Unit,
        low: Unit,
        high: Unit,
        confidence: Unit,
        trend: Trend,
        needs_intervention: t.Boolean(),
        reasons: t.Array(t.Object({ code: ReasonCode, message: t.String() })),
        review_due_at: t.String({ format: 'date-time' }),
      }),
    ),
    needs_intervention: t.Boolean(),
    model: ModelSchema,
    cached: t.Boolean(),
  },
  { additionalProperties: false },
);

const TrajectorySchema = t.Object(
  {
    student_id: t.String(),
    topic_id: t.Nullable(t.String()),
    as_of: t.String({ format: 'date-time' }),
    points: t.Array(t.Object({ date: t.String({ format: 'date' }), predicted: Unit, low: Unit, high: Unit })),
    confidence: Unit,
    model: ModelSchema,
  },
  { additionalProperties: false },
);

const AccuracySchema = t.Object(
  {
    scope: t.Union([t.Literal('topics'), t.Literal('overall')]),
    from: t.String({ format: 'date' }),
    to: t.String({ format: 'date' }),
    samples: Type.Integer({ minimum: 0 }),
    mae: t.Nullable(t.Number({ minimum: 0 })),
    bias: t.Nullable(t.Number()),
    interval_coverage: t.Nullable(Unit),
    baseline_mae: t.Object({ last_value: t.Nullable(t.Number({ minimum: 0 })), linear: t.Nullable(t.Number({ minimum: 0 })) }),
  },
  { additionalProperties: false },
);

const AtRiskSchema = t.Object(
  {
    cohort_id: t.String(),
    as_of: t.String({ format: 'date-time' }),
    excluded_no_consent: Type.Integer({ minimum: 0 }),
    students: t.Array(
      t.Object({
        student_id: t.String(),
        current: Unit,
        predicted: Unit,
        topics: t.Array(t.Object({ topic_id: t.String(), predicted: Unit, reasons: t.Array(t.Object({ code: ReasonCode, message: t.String() })) })),
      }),
    ),
  },
  { additionalProperties: false },
);

const iso = (ms: number): string => new Date(ms).toISOString();

export const nextWeekWire = (p: NextWeekPrediction, cached: boolean) => ({
  student_id: p.studentId,
  as_of: iso(p.asOf),
  horizon_days: 7 as const,
  overall: { current: p.overall.current, predicted: p.overall.predicted, low: p.overall.low, high: p.overall.high, level_predicted: p.overall.levelPredicted, trend: p.overall.trend },
  topics: p.topics.map((x) => ({
    topic_id: x.topicId,
    current: x.current,
    predicted: x.predicted,
    low: x.low,
    high: x.high,
    confidence: x.confidence,
    trend: x.trend,
    needs_intervention: x.needsIntervention,
    reasons: x.reasons,
    review_due_at: iso(x.reviewDueAt),
  })),
  needs_intervention: p.needsIntervention,
  model: p.model,
  cached,
});

const trajectoryWire = (tr: Trajectory) => ({
  student_id: tr.studentId,
  topic_id: tr.topicId ?? null,
  as_of: iso(tr.asOf),
  points: tr.points,
  confidence: tr.confidence,
  model: tr.model,
});

/**
 * `as_of` rewinds the clock: students may not use it (it would let them probe what teachers
 * would have seen); teachers, admins and services may. Parsed here, so a bad value is a 400.
 */
function asOfOf(principal: Principal, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (principal.role === 'student') throw new ApiError('forbidden', 'as_of is for teachers, admins and services');
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new ApiError('validation_failed', 'as_of must be an ISO 8601 date-time', [{ field: 'as_of', code: 'invalid_format', message: 'as_of must be an ISO 8601 date-time' }]);
  return ms;
}

export const predictionRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1/predictions', name: 'prediction-routes' })
    .get(
      '/accuracy',
      async ({ query, request }) => {
        const principal = principalOf(request);
        if (principal.role !== 'teacher' && principal.role !== 'admin') {
          auditInBackground(deps, request, 'prediction.accuracy', null, 'denied');
          throw new ApiError('forbidden', 'accuracy is for teachers and admins');
        }
        const today = dayOf(deps.predictions.clock.now());
        const from = isoDay(today - (query.days ?? 28));
        const to = isoDay(today);
        const scope = query.scope ?? 'topics';
        const s = await deps.predictions.log.accuracySummary({ tenantId: principal.tenantId, fromDay: from, toDay: to, scope });
        auditInBackground(deps, request, 'prediction.accuracy', null, 'success');
        return { scope, from, to, samples: s.samples, mae: s.mae, bias: s.bias, interval_coverage: s.intervalCoverage, baseline_mae: { last_value: s.baselineMae.lastValue, linear: s.baselineMae.linear } };
      },
      {
        query: t.Object({ days: t.Optional(QueryInt({ minimum: 1, maximum: 365 })), scope: t.Optional(t.Union([t.Literal('topics'), t.Literal('overall')])) }),
        response: { 200: AccuracySchema, ...API_ERRORS },
        detail: {
          tags: ['predictions'],
          summary: 'How served 7-day predictions fared against what happened, over the last `days` (28) target days, beside the baselines (teachers, admins)',
          ...SECURED,
        },
      },
    )
    .post(
      '/next-week',
      async ({ body, request }) => {
        const principal = principalOf(request);
        const asOf = asOfOf(principal, body.as_of);
        await authorizeStudentRead(deps, request, principal, body.student_id, 'prediction.read');
        const result = await predictNextWeek(deps.predictions, { tenantId: principal.tenantId, studentId: body.student_id }, { ...(body.topic_ids ? { topicIds: body.topic_ids } : {}), ...(asOf !== undefined ? { asOf } : {}) });
        if (result.kind === 'unknown_topics') throw unknownTopics(result.topicIds);
        return nextWeekWire(result.value, result.cached);
      },
      {
        parse: 'json',
        body: t.Object({ student_id: Id, topic_ids: t.Optional(t.Array(Id, { maxItems: 100, uniqueItems: true })), as_of: t.Optional(AsOf) }, { additionalProperties: false }),
        response: { 200: NextWeekSchema, ...API_ERRORS },
        detail: { tags: ['predictions'], summary: "Where a student's mastery will be in 7 days, per topic, with an 80% interval, intervention reasons and review dates", ...SECURED },
      },
    )
    .post(
      '/trajectory',
      async ({ body, request }) => {
        const principal = principalOf(request);
        const asOf = asOfOf(principal, body.as_of);
        await authorizeStudentRead(deps, request, principal, body.student_id, 'prediction.read');
        const result = await predictTrajectory(
          deps.predictions,
          { tenantId: principal.tenantId, studentId: body.student_id },
          { ...(body.topic_id !== undefined ? { topicId: body.topic_id } : {}), days: body.days ?? 14, ...(asOf !== undefined ? { asOf } : {}) },
        );
        if (result.kind === 'unknown_topics') throw unknownTopics(result.topicIds);
        return trajectoryWire(result.value);
      },
      {
        parse: 'json',
        body: t.Object(
          { student_id: Id, topic_id: t.Optional(Id), days: t.Optional(Type.Integer({ minimum: 1, maximum: MAX_TRAJECTORY_DAYS, description: 'default 14' })), as_of: t.Optional(AsOf) },
          { additionalProperties: false },
        ),
        response: { 200: TrajectorySchema, ...API_ERRORS },
        detail: { tags: ['predictions'], summary: 'Predicted mastery for each of the next 1-30 days, for a topic or the mean over the topics', ...SECURED },
      },
    );

/** The students of a cohort whom the predictions flag, for the cohort's teachers and admins. */
export const atRiskRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1/cohorts', name: 'at-risk-routes' }).get(
    '/:cohort_id/at-risk',
    async ({ params, request }) => {
      const principal = principalOf(request);
      const cohort = await deps.cohorts.get(principal.tenantId, params.cohort_id);
      const allowed = (principal.role === 'teacher' || principal.role === 'admin') && cohort !== undefined && visibleCohorts(principal, [cohort]).length > 0;
      auditInBackground(deps, request, 'prediction.at_risk', { other: `cohort:${params.cohort_id}` }, allowed ? 'success' : 'denied');
      // Like every cohort route: a cohort you may not see answers as if it did not exist.
      if (!allowed || !cohort) throw new ApiError('not_found', 'no such cohort');
      const list = await atRisk(deps.predictions, principal.tenantId, cohort.studentIds);
      return {
        cohort_id: cohort.cohortId,
        as_of: iso(list.asOf),
        excluded_no_consent: list.excludedNoConsent,
        students: list.students.map((s) => ({
          student_id: s.studentId,
          current: s.current,
          predicted: s.predicted,
          topics: s.topics.map((t) => ({ topic_id: t.topicId, predicted: t.predicted, reasons: t.reasons })),
        })),
      };
    },
    {
      params: t.Object({ cohort_id: Id }),
      response: { 200: AtRiskSchema, 404: ErrorSchema, ...API_ERRORS },
      detail: { tags: ['predictions'], summary: "A cohort's students flagged for intervention, with their reasons, worst first (the cohort's teachers, admins)", ...SECURED },
    },
  );
