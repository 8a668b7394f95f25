import { Elysia } from 'elysia';
import type { Logger } from 'pino';
import type { AnalyticsDeps, AnalyticsSettings } from '../../domain/analytics/compare';
import type { ComplianceDeps } from '../../domain/compliance/compliance';
import type { EngineDeps } from '../../domain/mastery/engine';
import type { XapiSettings } from '../../domain/xapi/statement';
import type { PredictionDeps, PredictionSettings } from '../../domain/prediction/predict';
import type { RecommendationDeps, RecommendationSettings } from '../../domain/recommendation/recommendations';
import type { AuditLog } from '../../ports/audit-log.port';
import type { CohortStore } from '../../ports/cohort-store.port';
import type { CurriculumStore } from '../../ports/curriculum-store.port';
import type { HealthProbe } from '../../ports/health.port';
import { StoreUnavailableError } from '../../ports/mastery-store.port';
import type { MasteryUpdates } from '../../ports/mastery-updates.port';
import type { AnswerCache } from '../../ports/answer-cache.port';
import type { MasteryHistory } from '../../domain/analytics/history';
import type { MasteryAnswerText } from './mastery.routes';
import type { PredictionCache } from '../../ports/prediction-cache.port';
import type { PredictionLog } from '../../ports/prediction-log.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { IdSource } from '../../ports/id-source.port';
import type { RecommendationStore } from '../../ports/recommendation-store.port';
import type { RateLimiter } from '../../ports/rate-limiter.port';
import type { AuditTrail } from '../audit/audit-trail';
import { analyticsRoutes } from './analytics.routes';
import { sha256 } from '../crypto/hashing';
import type { Metrics } from '../observability/metrics';
import { apiDocs } from './api-docs';
import type { Authenticate } from './auth';
import { BATCH_BODY_LIMIT_BYTES, batchRoutes } from './batch.routes';
import { cohortRoutes } from './cohorts.routes';
import { complianceRoutes } from './compliance.routes';
import { curriculumRoutes } from './curriculum.routes';
import { dashboardRoutes, type DashboardDeps } from './dashboard.routes';
import { ApiError, errorBody, STATUS_OF, type ErrorCode, type ErrorDetail } from './errors';
import { EVENTS_BODY_LIMIT_BYTES, eventRoutes } from './events.routes';
import { createGate, type GateSettings, type Lifecycle } from './gate';
import { healthRoutes } from './health.routes';
import { INVOCATION_PATHS, invocationRoutes, type Dispatcher, type InvocationSettings } from './invocation.routes';
import { masteryRoutes } from './mastery.routes';
import { opsRoutes, type ServiceInfo } from './ops.routes';
import { atRiskRoutes, predictionRoutes } from './predictions.routes';
import { recommendationRoutes } from './recommendations.routes';
import { XAPI_BODY_LIMIT_BYTES, xapiRoutes } from './xapi.routes';
import { requestIdOf } from './request-context';
import type { BatchDeps } from '../../domain/batch/run';
import type { BatchMetrics } from '../observability/batch-observer';

export interface AppDeps {
  engine: EngineDeps;
  prediction: PredictionSettings;
  analytics: AnalyticsSettings;
  cohorts: CohortStore;
  /** Where tenants' own curricula are stored; `engine.curricula` is each replica's view of them. */
  curriculumStore: CurriculumStore;
  /** Which xAPI verb and extension carry code quality. */
  xapi: XapiSettings;
  /** Where served recommendations live, the ids they get, and the rules' settings. */
  recommendations: { store: RecommendationStore; ids: IdSource; settings: RecommendationSettings };
  /** Served predictions kept for reuse, and kept to be scored against what happened. */
  predictionCache: PredictionCache;
  predictionLog: PredictionLog;
  /** Mastery-history answers kept for reuse (one replica's, keyed by the evidence token). */
  historyCache: AnswerCache<MasteryHistory>;
  /** Mastery answers as sent (JSON and ETag), per student, under the key queryMasteryAnswer computes. */
  masteryAnswers: AnswerCache<MasteryAnswerText>;
  auditLog: AuditLog;
  auditTrail: AuditTrail;
  pseudonymize: Pseudonymizer;
  /** Where erasures are announced (Kafka), when configured. */
  updates?: MasteryUpdates;
  authenticate: Authenticate;
  rateLimiter: RateLimiter;
  opsRateLimiter: RateLimiter;
  metrics: Metrics;
  logger: Logger;
  /** Dependencies without which this instance cannot serve: /ready is 503 when one is down. */
  probes: readonly HealthProbe[];
  /** Dependencies it can serve without (Kafka): /ready says degraded, still 200. */
  optionalProbes?: readonly HealthProbe[];
  lifecycle: Lifecycle;
  settings: GateSettings;
  /** Service invocation (/process): Dapr's app token and the time an intent may take. */
  invocation: InvocationSettings;
  info: ServiceInfo;
  /** The teacher dashboard's development sign-in; without it the page asks for a pasted token. */
  dashboard?: DashboardDeps;
  /** Batch recalculation: the use cases' ports and the batch metrics. */
  batch: { deps: BatchDeps; metrics: BatchMetrics };
}

/** TypeBox validation errors as `{field, message}`, field in the wire's dotted form. */
function validationDetails(error: unknown): ErrorDetail[] {
  const all = (error as { all?: { path?: string; message?: string; summary?: string }[] }).all ?? [];
  return all.slice(0, 20).map((e) => ({ field: (e.path ?? '').replace(/^\//, '').replaceAll('/', '.') || '(body)', message: e.summary ?? e.message ?? 'invalid' }));
}

/**
 * The HTTP driver. The gate (security headers, request id, trace context, CORS, auth, rate limit,
 * media type and size) runs before routing; one error hook gives every failure the same shape.
 */
export function createApp(deps: AppDeps) {
  const { metrics, logger } = deps;
  const compliance: ComplianceDeps = {
    ...deps.engine,
    cohorts: deps.cohorts,
    recommendations: deps.recommendations.store,
    audit: deps.auditLog,
    pseudonymize: deps.pseudonymize,
    predictionCache: deps.predictionCache,
    predictionLog: deps.predictionLog,
    answerCaches: [deps.historyCache, deps.masteryAnswers],
    batches: deps.batch.deps.batches,
    ...(deps.updates ? { updates: deps.updates } : {}),
  };
  const recommendations: RecommendationDeps = { ...deps.engine, recommendations: deps.recommendations.store, ids: deps.recommendations.ids, recommendation: deps.recommendations.settings };
  const auditDeps = { auditTrail: deps.auditTrail, pseudonymize: deps.pseudonymize, clock: deps.engine.clock };
  const predictions: PredictionDeps = { ...deps.engine, prediction: deps.prediction, cache: deps.predictionCache, log: deps.predictionLog };
  const analytics: AnalyticsDeps = { ...deps.engine, cohorts: deps.cohorts, analytics: deps.analytics, historyCache: deps.historyCache };

  const fail = (set: { status?: number | string; headers: Record<string, string | number> }, request: Request, code: ErrorCode, message: string, details?: ErrorDetail[]) => {
    set.status = STATUS_OF[code];
    set.headers['content-type'] = 'application/json';
    return errorBody(code, message, requestIdOf(request), details);
  };

  /** Routes that take more than settings.bodyLimitBytes (a full events batch). */
  const bodyLimits: Record<string, number> = {
    '/api/v1/events': Math.max(EVENTS_BODY_LIMIT_BYTES, deps.settings.bodyLimitBytes),
    '/api/v1/xapi/statements': Math.max(XAPI_BODY_LIMIT_BYTES, deps.settings.bodyLimitBytes),
    '/api/v1/batch/mastery': Math.max(BATCH_BODY_LIMIT_BYTES, deps.settings.bodyLimitBytes),
  };
  // Invocation dispatches each intent into this same app, built below.
  const self: { app?: Dispatcher } = {};

  // normalize: false makes `additionalProperties: false` refuse unknown fields instead of
  // silently dropping them, so a misspelt field is an error the client sees.
  const app = new Elysia({ normalize: false })
    .use(createGate({ ...deps, ...auditDeps, selfGuardedPaths: INVOCATION_PATHS, bodyLimits }))
    .onError({ as: 'global' }, ({ code, error: thrown, request, set }) => {
      // Elysia wraps what the body parser throws (our 413 and 400) in its ParseError.
      const cause = (thrown as { cause?: unknown }).cause;
      const error = code === 'PARSE' && cause instanceof ApiError ? cause : thrown;
      if (error instanceof ApiError) {
        Object.assign(set.headers, error.headers);
        return fail(set, request, error.code, error.message, error.details);
      }
      if (error instanceof StoreUnavailableError) {
        logger.warn({ request_id: requestIdOf(request), error: error.message }, 'state store unavailable');
        set.headers['retry-after'] = '5';
        return fail(set, request, 'service_unavailable', 'the state store is unavailable; retry shortly');
      }
      switch (code) {
        case 'VALIDATION':
          // Elysia checks answers too: one that breaks its documented schema is our bug, not the client's.
          if ((error as { type?: string }).type === 'response') {
            logger.error({ request_id: requestIdOf(request), details: validationDetails(error) }, 'response breaks its schema');
            return fail(set, request, 'internal_error', 'an internal error occurred');
          }
          return fail(set, request, 'validation_failed', 'the request does not match the schema', validationDetails(error));
        case 'PARSE':
          return fail(set, request, 'malformed_json', 'the body is not valid JSON');
        case 'NOT_FOUND':
          return fail(set, request, 'not_found', 'no such resource');
        default:
          // Name and message only: a stack trace helps an attacker more than an operator.
          logger.error({ request_id: requestIdOf(request), error: { name: (error as Error).name, message: (error as Error).message } }, 'unhandled error');
          return fail(set, request, 'internal_error', 'an internal error occurred');
      }
    })
    .use(
      apiDocs({
        info: { title: 'Mastery Engine API', version: deps.info.version, description: 'Learner mastery per topic: ingest learning events, query mastery, manage cohorts.' },
        tags: [
          { name: 'mastery', description: 'Mastery scores and their components' },
          { name: 'events', description: 'Learning event ingest: our envelope, or xAPI statements' },
          { name: 'cohorts', description: 'Cohorts: which teachers teach which students' },
          { name: 'curriculum', description: "The tenant's topics, lessons and prerequisites, versioned" },
          { name: 'predictions', description: 'Where a student is heading: forecasts, intervention flags, reviews' },
          { name: 'recommendations', description: 'What to do next, learning paths, feedback and its effect' },
          { name: 'analytics', description: 'Mastery history and cohort comparisons, small groups suppressed' },
          { name: 'batch', description: 'Recalculating many students at once, by priority, across replicas' },
          { name: 'compliance', description: 'GDPR export and erasure, consent, the audit log' },
          { name: 'invocation', description: 'Dapr service invocation: intents answered in one envelope' },
          { name: 'ops', description: 'Health, readiness, metrics' },
          { name: 'dashboard', description: 'The teacher dashboard (HTML), which calls this API with the signed-in bearer token' },
        ],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      }),
    )
    .use(
      healthRoutes({
        probes: deps.probes,
        optionalProbes: deps.optionalProbes ?? [],
        breakers: metrics.breakers,
        accepting: () => deps.lifecycle.accepting,
        metrics,
      }),
    )
    .use(opsRoutes({ metrics, info: deps.info, clock: deps.engine.clock }))
    .use(masteryRoutes({ ...deps, ...auditDeps }))
    .use(eventRoutes({ ...deps, ...auditDeps }))
    .use(xapiRoutes({ ...deps, ...auditDeps }))
    .use(cohortRoutes({ ...deps, ...auditDeps }))
    .use(curriculumRoutes({ ...auditDeps, curriculum: { curricula: deps.engine.curricula, curriculumStore: deps.curriculumStore, store: deps.engine.store, cohorts: deps.cohorts, clock: deps.engine.clock } }))
    .use(predictionRoutes({ ...auditDeps, predictions, cohorts: deps.cohorts }))
    .use(atRiskRoutes({ ...auditDeps, predictions, cohorts: deps.cohorts }))
    .use(recommendationRoutes({ ...auditDeps, recommendations, cohorts: deps.cohorts }))
    .use(analyticsRoutes({ ...auditDeps, analytics }))
    .use(complianceRoutes({ ...auditDeps, compliance, sha256 }))
    .use(batchRoutes({ ...auditDeps, batch: deps.batch, logger }))
    .use(dashboardRoutes(deps.dashboard ?? {}))
    // An intent's body is its REST route's body in an envelope: the largest route limit applies
    // to the envelope, and the route's own limit to the body inside.
    .use(
      invocationRoutes({
        invocation: deps.invocation,
        dispatcher: () => self.app!,
        logger,
        info: deps.info,
        bodyLimitBytes: Math.max(deps.settings.bodyLimitBytes, ...Object.values(bodyLimits)),
      }),
    );
  const routes = new Set(app.routes.map((r) => `${r.method} ${r.path}`));
  self.app = { handle: (request) => app.handle(request), hasRoute: (method, path) => routes.has(`${method} ${path}`) };
  return app;
}

export type App = ReturnType<typeof createApp>;
