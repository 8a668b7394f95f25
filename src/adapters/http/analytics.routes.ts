import { Elysia, t } from 'elysia';
import { compareCohorts, type AnalyticsDeps, type CohortFigures, type Comparison, type StudentStanding } from '../../domain/analytics/compare';
import { GRANULARITIES, queryHistory, type MasteryHistory } from '../../domain/analytics/history';
import { COMPONENTS, type Component } from '../../domain/mastery/mastery';
import { auditInBackground, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { authorizeStudentRead, unknownTopics } from './mastery.routes';
import { principalOf } from './request-context';
import { API_ERRORS, ComponentsSchema, ErrorSchema, Id, Int, Level, SECURED, Unit } from './schemas';

interface Deps extends HttpAuditDeps {
  analytics: AnalyticsDeps;
}

/**
 * A date by pattern, never `format: 'date'`: @elysiajs/openapi registers that format as a zod check
 * that builds a zod schema on every value checked, and a year's 365 points spent about 20 ms in it
 * per answer, most of the answer's time (docs/benchmarks.md).
 */
const IsoDate = t.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a UTC calendar date, YYYY-MM-DD' });
const Granularity = t.Union([t.Literal(GRANULARITIES[0]), t.Literal(GRANULARITIES[1]), t.Literal(GRANULARITIES[2])]);

const HistorySchema = t.Object(
  {
    student_id: t.String(),
    topic_id: t.Nullable(t.String()),
    from: IsoDate,
    to: IsoDate,
    granularity: Granularity,
    points: t.Array(
      t.Object({
        period_start: IsoDate,
        mastery_score: Unit,
        level: Level,
        components: ComponentsSchema,
        active_days: Int({ minimum: 0 }),
        events: Int({ minimum: 0 }),
      }),
    ),
    summary: t.Object({
      mean: Unit,
      median: Unit,
      std_dev: t.Number({ minimum: 0 }),
      min: Unit,
      max: Unit,
      first: Unit,
      last: Unit,
      change: t.Number({ minimum: -1, maximum: 1 }),
      trend_per_week: t.Number({ description: 'least-squares slope of the daily scores, per 7 days' }),
      volatility: t.Number({ minimum: 0, description: 'standard deviation of the day-to-day changes' }),
      active_days: Int({ minimum: 0 }),
      longest_streak_days: Int({ minimum: 0 }),
    }),
  },
  { additionalProperties: false },
);

const MeanMedian = t.Object({ mean: Unit, median: Unit });
const Percent = t.Number({ minimum: 0, maximum: 100 });
const byComponent = <T extends Parameters<typeof t.Object>[0][string]>(schema: T) =>
  t.Object({ completion: schema, quiz: schema, quality: schema, consistency: schema });

const CohortSchema = t.Object({
  cohort_id: t.String(),
  n: Int({ minimum: 0 }),
  suppressed: t.Boolean({ description: 'fewer consenting students than ANALYTICS_MIN_GROUP_SIZE: only n is given' }),
  excluded_no_consent: t.Optional(Int({ minimum: 0 })),
  mean: t.Optional(Unit),
  median: t.Optional(Unit),
  std_dev: t.Optional(t.Number({ minimum: 0 })),
  percentiles: t.Optional(t.Object({ p10: Unit, p25: Unit, p50: Unit, p75: Unit, p90: Unit })),
  components: t.Optional(byComponent(MeanMedian)),
  topics: t.Optional(t.Array(t.Object({ topic_id: t.String(), n: Int({ minimum: 0 }), mean: t.Optional(Unit) }))),
});

const CompareSchema = t.Object(
  {
    cohorts: t.Array(CohortSchema),
    comparison: t.Optional(
      t.Object({
        difference: t.Number({ minimum: -1, maximum: 1 }),
        p_value: t.Number({ minimum: 0, maximum: 1 }),
        effect_size: t.Nullable(t.Number({ description: "Cohen's d" })),
        test: t.Literal('welch_t'),
      }),
    ),
    student: t.Optional(
      t.Object({
        student_id: t.String(),
        withheld: t.Optional(t.Union([t.Literal('no_consent'), t.Literal('cohort_suppressed')])),
        mastery_score: t.Optional(Unit),
        percentile_rank: t.Optional(Percent),
        components: t.Optional(byComponent(t.Object({ value: Unit, percentile_rank: Percent }))),
      }),
    ),
  },
  { additionalProperties: false },
);

const historyWire = (h: MasteryHistory) => ({
  student_id: h.studentId,
  topic_id: h.topicId,
  from: h.from,
  to: h.to,
  granularity: h.granularity,
  points: h.points.map((p) => ({ period_start: p.periodStart, mastery_score: p.masteryScore, level: p.level, components: p.components, active_days: p.activeDays, events: p.events })),
  summary: {
    mean: h.summary.mean,
    median: h.summary.median,
    std_dev: h.summary.stdDev,
    min: h.summary.min,
    max: h.summary.max,
    first: h.summary.first,
    last: h.summary.last,
    change: h.summary.change,
    trend_per_week: h.summary.trendPerWeek,
    volatility: h.summary.volatility,
    active_days: h.summary.activeDays,
    longest_streak_days: h.summary.longestStreakDays,
  },
});

const perComponent = <A, B>(r: Record<Component, A>, f: (a: A) => B) => Object.fromEntries(COMPONENTS.map((c) => [c, f(r[c])])) as Record<Component, B>;

const cohortWire = (c: CohortFigures) =>
  c.suppressed
    ? { cohort_id: c.cohortId, n: c.n, suppressed: true }
    : {
        cohort_id: c.cohortId,
        n: c.n,
        suppressed: false,
        excluded_no_consent: c.excludedNoConsent,
        mean: c.mean,
        median: c.median,
        std_dev: c.stdDev,
        percentiles: c.percentiles,
        components: c.components,
        topics: c.topics?.map((x) => ({ topic_id: x.topicId, n: x.n, ...(x.mean !== undefined ? { mean: x.mean } : {}) })),
      };

const studentWire = (s: StudentStanding) =>
  s.withheld
    ? { student_id: s.studentId, withheld: s.withheld }
    : {
        student_id: s.studentId,
        mastery_score: s.masteryScore,
        percentile_rank: s.percentileRank,
        components: s.components && perComponent(s.components, (x) => ({ value: x.value, percentile_rank: x.percentileRank })),
      };

const compareWire = (c: Comparison) => ({
  cohorts: c.cohorts.map(cohortWire),
  ...(c.comparison ? { comparison: { difference: c.comparison.difference, p_value: c.comparison.pValue, effect_size: c.comparison.effectSize, test: c.comparison.test } } : {}),
  ...(c.student ? { student: studentWire(c.student) } : {}),
});

export const analyticsRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1/analytics', name: 'analytics-routes' })
    .post(
      '/mastery-history',
      async ({ body, request }) => {
        const principal = principalOf(request);
        await authorizeStudentRead({ ...deps, cohorts: deps.analytics.cohorts }, request, principal, body.student_id, 'analytics.history');
        const result = await queryHistory(
          deps.analytics,
          { tenantId: principal.tenantId, studentId: body.student_id },
          { from: body.from, to: body.to, granularity: body.granularity, ...(body.topic_id !== undefined ? { topicId: body.topic_id } : {}) },
        );
        if (result.kind === 'invalid') throw new ApiError('validation_failed', 'the history request is not valid', result.errors);
        return historyWire(result.history);
      },
      {
        parse: 'json',
        body: t.Object({ student_id: Id, topic_id: t.Optional(Id), from: IsoDate, to: IsoDate, granularity: Granularity }, { additionalProperties: false }),
        response: { 200: HistorySchema, ...API_ERRORS },
        detail: { tags: ['analytics'], summary: "A student's mastery day by day, week by week or month by month, with summary statistics", ...SECURED },
      },
    )
    .post(
      '/compare',
      async ({ body, request }) => {
        const principal = principalOf(request);
        const compareTo = body.compare_to && ('cohort_id' in body.compare_to ? { cohortId: body.compare_to.cohort_id } : { studentId: body.compare_to.student_id });
        const result = await compareCohorts(deps.analytics, principal, {
          cohortId: body.cohort_id,
          ...(compareTo ? { compareTo } : {}),
          ...(body.topic_ids ? { topicIds: body.topic_ids } : {}),
        });
        const cohortIds = [body.cohort_id, ...(compareTo && 'cohortId' in compareTo ? [compareTo.cohortId] : [])];
        const studentId = compareTo && 'studentId' in compareTo ? compareTo.studentId : undefined;
        switch (result.kind) {
          case 'unknown_topics':
            throw unknownTopics(result.topicIds);
          case 'cohort_not_found':
            auditInBackground(deps, request, 'analytics.compare', { other: `cohort:${result.cohortId}` }, 'denied');
            throw new ApiError('not_found', 'no such cohort');
          case 'student_forbidden':
            auditInBackground(deps, request, 'analytics.compare', { studentId: studentId! }, 'denied');
            throw new ApiError('forbidden', 'you may not read this student');
          case 'ok':
            for (const id of cohortIds) auditInBackground(deps, request, 'analytics.compare', { other: `cohort:${id}` }, 'success');
            if (studentId !== undefined) auditInBackground(deps, request, 'analytics.compare', { studentId }, 'success');
            return compareWire(result.comparison);
        }
      },
      {
        parse: 'json',
        body: t.Object(
          {
            cohort_id: Id,
            compare_to: t.Optional(t.Union([t.Object({ cohort_id: Id }, { additionalProperties: false }), t.Object({ student_id: Id }, { additionalProperties: false })])),
            topic_ids: t.Optional(t.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CompareSchema, 404: ErrorSchema, ...API_ERRORS },
        detail: { tags: ['analytics'], summary: 'How a cohort compares with another cohort or where a student stands in it; small groups suppressed', ...SECURED },
      },
    );
