import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Elysia, t } from 'elysia';
import type { Logger } from 'pino';
import { ApiError, type ErrorCode, type ErrorDetail } from './errors';
import { readBounded, sameSecret } from './gate';
import { requestIdOf, requestInfo, setForwardedAddress } from './request-context';

/**
 * Service invocation: `POST /process` (what Dapr's invocation of method `process` reaches) and
 * `POST /api/v1/process` take `{intent, payload, context?}` and answer one envelope. Each intent is
 * translated into a request to the REST route that serves it and run through this same app, so
 * authentication, rate limits, validation, access rules and the audit are the REST routes' own.
 */
export const INVOCATION_PATHS: ReadonlySet<string> = new Set(['/process', '/api/v1/process']);

export interface InvocationSettings {
  /** Dapr's APP_API_TOKEN: when set, calls must carry it in `dapr-api-token`. */
  appApiToken: string | undefined;
  /** How long an intent may take before the caller gets `timeout` (the work may still finish). */
  timeoutMs: number;
}

/** The app the intents are dispatched into: itself. */
export interface Dispatcher {
  handle(request: Request): Promise<Response>;
  /** Whether a route exists, so a capability that has not landed answers not_implemented. */
  hasRoute(method: string, path: string): boolean;
}

interface Deps {
  invocation: InvocationSettings;
  dispatcher: () => Dispatcher;
  logger: Logger;
  info: { version: string };
  /** The largest body any intent's route accepts (a full events batch). */
  bodyLimitBytes: number;
}

export type InvocationCode =
  | 'validation_error'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'unknown_intent'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'internal'
  | 'not_implemented'
  | 'unavailable'
  | 'timeout';

/** The status each envelope code answers with. */
export const INVOCATION_STATUS: Record<InvocationCode, number> = {
  validation_error: 400,
  unknown_intent: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  not_implemented: 501,
  unavailable: 503,
  timeout: 504,
};

/** The REST routes' error codes in the envelope's words. */
const FROM_REST: Record<ErrorCode, InvocationCode> = {
  validation_failed: 'validation_error',
  malformed_json: 'validation_error',
  unsupported_media_type: 'validation_error',
  payload_too_large: 'payload_too_large',
  unauthorized: 'unauthenticated',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  precondition_failed: 'conflict',
  precondition_required: 'validation_error',
  rate_limited: 'rate_limited',
  service_unavailable: 'unavailable',
  shutting_down: 'unavailable',
  internal_error: 'internal',
};

/** Headers of the REST answer a caller (or Dapr's resiliency policy) needs to back off. */
const FORWARDED_HEADERS = ['retry-after', 'ratelimit', 'ratelimit-policy', 'www-authenticate'];

type Payload = Record<string, unknown>;
/** The REST request an intent becomes, and how its error fields read in the caller's terms. */
type Target = { path: string; body: unknown; field: (restField: string) => string };
type Translation = { ok: true; target: Target } | { ok: false; details: ErrorDetail[] };

const inPayload = (f: string) => (f === '(body)' ? 'payload' : `payload.${f}`);
const to = (path: string, body: unknown, field = inPayload): Translation => ({ ok: true, target: { path, body, field } });
const invalid = (field: string, message: string): Translation => ({ ok: false, details: [{ field, message }] });

/**
 * Each intent and the REST route it becomes. Only the shape changes here (which route, a renamed
 * field); every rule about the values is the route's.
 */
const INTENTS: Record<string, (payload: Payload) => Translation> = {
  // Components given: compute from them; otherwise read the student's stored mastery.
  mastery_calculation: (p) => ('components' in p ? to('/api/v1/mastery/calculate', p) : to('/api/v1/mastery/query', p)),
  mastery_query: (p) => to('/api/v1/mastery/query', p),
  // The 7-day forecast by default; a horizon asks for the day-by-day trajectory that far.
  get_prediction: ({ horizon_days, ...rest }) =>
    horizon_days === undefined
      ? to('/api/v1/predictions/next-week', rest)
      : to('/api/v1/predictions/trajectory', { ...rest, days: horizon_days }, (f) => inPayload(f === 'days' ? 'horizon_days' : f)),
  generate_path: (p) => to('/api/v1/recommendations/learning-path', p),
  batch_process: (p) => to('/api/v1/batch/mastery', p),
  analytics_query: ({ type, ...rest }) => {
    if (type === 'history') return to('/api/v1/analytics/mastery-history', rest);
    if (type === 'compare') return to('/api/v1/analytics/compare', rest);
    return invalid('payload.type', 'type must be "history" or "compare"');
  },
  ingest_events: ({ events, ...rest }) => {
    const extra = Object.keys(rest);
    if (extra.length > 0) return invalid(`payload.${extra[0]}`, 'unknown field: the payload is {events: [...]}');
    if (!Array.isArray(events)) return invalid('payload.events', 'events must be an array of learning events');
    return to('/api/v1/events', events, (f) => (f === '(body)' ? 'payload.events' : `payload.events.${f}`));
  },
};
export const INTENT_NAMES = Object.keys(INTENTS);

const CORRELATION_ID = '^[A-Za-z0-9._:-]{1,128}$';
const InvocationRequest = t.Object(
  {
    intent: t.String({ minLength: 1, maxLength: 64, description: INTENT_NAMES.join(', ') }),
    payload: t.Object({}, { additionalProperties: true, description: "the intent's arguments (docs/dapr.md)" }),
    context: t.Optional(t.Object({ correlation_id: t.Optional(t.String({ pattern: CORRELATION_ID })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const checkRequest = TypeCompiler.Compile(InvocationRequest);

const InvocationResponse = t.Object({
  success: t.Boolean(),
  data: t.Unknown({ description: "the REST route's answer on success, null otherwise" }),
  error: t.Nullable(
    t.Object({
      code: t.String({ description: Object.keys(INVOCATION_STATUS).join(', ') }),
      message: t.String(),
      details: t.Optional(t.Array(t.Object({ field: t.String(), code: t.Optional(t.String()), message: t.String() }))),
    }),
  ),
  metadata: t.Object({
    intent: t.Nullable(t.String()),
    request_id: t.String(),
    correlation_id: t.String({ description: 'context.correlation_id, or the request id' }),
    duration_ms: t.Number(),
    service: t.Literal('mastery-engine'),
    version: t.String(),
    caller_app_id: t.Nullable(t.String({ description: "Dapr's dapr-caller-app-id" })),
    traceparent: t.String({ description: 'W3C trace context of this call (the caller trace continued)' }),
  }),
});
const RESPONSES = Object.fromEntries([200, 202, ...new Set(Object.values(INVOCATION_STATUS))].map((s) => [s, InvocationResponse]));

/** Dapr app ids are DNS-label-like; anything else is not logged as given. */
const APP_ID = /^[A-Za-z0-9._-]{1,128}$/;

class InvocationError extends Error {
  constructor(
    readonly code: InvocationCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export const invocationRoutes = (deps: Deps) => {
  const timeoutMessage = `the intent did not finish within ${deps.invocation.timeoutMs} ms; it may still complete`;

  /** Reads and checks the envelope; every problem is an InvocationError for the caller. */
  async function readEnvelope(request: Request) {
    const token = deps.invocation.appApiToken;
    if (token !== undefined && !sameSecret(request.headers.get('dapr-api-token') ?? '', token)) {
      throw new InvocationError('unauthenticated', 'the dapr-api-token header is missing or wrong');
    }
    const type = request.headers.get('content-type');
    if (type !== null && !/^application\/json\s*(;|$)/i.test(type)) throw new InvocationError('validation_error', 'the body must be application/json');
    if (Number(request.headers.get('content-length') ?? 0) > deps.bodyLimitBytes) {
      throw new InvocationError('payload_too_large', `the body may be at most ${deps.bodyLimitBytes} bytes`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await readBounded(request, deps.bodyLimitBytes));
    } catch (err) {
      if (err instanceof ApiError) throw new InvocationError('payload_too_large', err.message);
      throw new InvocationError('validation_error', 'the body is not valid JSON');
    }
    if (!checkRequest.Check(raw)) {
      const details = [...checkRequest.Errors(raw)].slice(0, 20).map((e) => ({ field: e.path.replace(/^\//, '').replaceAll('/', '.') || '(body)', message: e.message }));
      throw new InvocationError('validation_error', 'the request is not {intent, payload, context?}', details);
    }
    return raw;
  }

  /** The REST request an intent becomes: the caller's credentials, request id and trace go along. */
  function innerRequest(outer: Request, target: Target, traceparent: string, address: string | undefined): Request {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestIdOf(outer), traceparent };
    const authorization = outer.headers.get('authorization');
    if (authorization !== null) headers.authorization = authorization;
    const inner = new Request(new URL(target.path, outer.url).href, { method: 'POST', headers, body: JSON.stringify(target.body) });
    if (address !== undefined) setForwardedAddress(inner, address);
    return inner;
  }

  async function dispatch(inner: Request): Promise<Response | 'timeout'> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), deps.invocation.timeoutMs)));
    try {
      return await Promise.race([deps.dispatcher().handle(inner), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  const handler = async ({ request, set, server }: { request: Request; set: { status?: number | string; headers: Record<string, string | number> }; server: { requestIP(r: Request): { address: string } | null } | null }) => {
    const traceparent = String(set.headers.traceparent ?? '');
    const callerHeader = request.headers.get('dapr-caller-app-id');
    const callerAppId = callerHeader !== null && APP_ID.test(callerHeader) ? callerHeader : null;
    let intent: string | null = null;
    let correlationId = requestIdOf(request);

    const answer = (status: number, data: unknown, error: { code: InvocationCode; message: string; details?: ErrorDetail[] } | null) => {
      const startedAt = requestInfo(request)?.startedAt ?? performance.now();
      const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
      set.status = status;
      set.headers['content-type'] = 'application/json';
      // Personal data, like every /api/v1 answer: never kept by a cache on the way.
      set.headers['cache-control'] = 'no-store';
      deps.logger.info(
        { request_id: requestIdOf(request), correlation_id: correlationId, intent, caller_app_id: callerAppId, traceparent, status, code: error?.code, duration_ms: durationMs },
        'invocation',
      );
      return {
        success: error === null,
        data,
        error: error === null ? null : { code: error.code, message: error.message, ...(error.details && error.details.length > 0 ? { details: error.details } : {}) },
        metadata: { intent, request_id: requestIdOf(request), correlation_id: correlationId, duration_ms: durationMs, service: 'mastery-engine' as const, version: deps.info.version, caller_app_id: callerAppId, traceparent },
      };
    };
    const refuse = (code: InvocationCode, message: string, details?: ErrorDetail[]) => answer(INVOCATION_STATUS[code], null, { code, message, ...(details ? { details } : {}) });

    try {
      const envelope = await readEnvelope(request);
      intent = envelope.intent;
      if (envelope.context?.correlation_id !== undefined) correlationId = envelope.context.correlation_id;
      const translate = Object.hasOwn(INTENTS, envelope.intent) ? INTENTS[envelope.intent] : undefined;
      if (!translate) return refuse('unknown_intent', `unknown intent; one of: ${INTENT_NAMES.join(', ')}`);
      const translation = translate(envelope.payload);
      if (!translation.ok) return refuse('validation_error', 'the payload does not fit the intent', translation.details);
      const { target } = translation;
      if (!deps.dispatcher().hasRoute('POST', target.path)) return refuse('not_implemented', `${envelope.intent} is not available in this version`);

      const response = await dispatch(innerRequest(request, target, traceparent, server?.requestIP(request)?.address));
      if (response === 'timeout') {
        deps.logger.warn({ request_id: requestIdOf(request), intent, timeout_ms: deps.invocation.timeoutMs }, 'invocation timed out');
        return refuse('timeout', timeoutMessage);
      }
      for (const name of FORWARDED_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) set.headers[name] = value;
      }
      const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined;
      if (response.ok) return answer(response.status, body ?? null, null);
      const restCode = body?.error?.code as ErrorCode | undefined;
      const code = (restCode && FROM_REST[restCode]) ?? 'internal';
      const details = body?.error?.details?.map((d) => ({ ...d, field: target.field(d.field) }));
      return refuse(code, body?.error?.message ?? 'an internal error occurred', details);
    } catch (err) {
      if (err instanceof InvocationError) return refuse(err.code, err.message, err.details);
      // Name and message only, as on the REST routes: a stack trace helps an attacker more than an operator.
      deps.logger.error({ request_id: requestIdOf(request), intent, error: { name: (err as Error).name, message: (err as Error).message } }, 'invocation failed');
      return refuse('internal', 'an internal error occurred');
    }
  };

  const detail = (summary: string) => ({
    tags: ['invocation'],
    summary,
    security: [{ bearer: [] }],
    requestBody: { required: true, content: { 'application/json': { schema: InvocationRequest } } },
  });
  return new Elysia({ name: 'invocation-routes' })
    .post('/process', handler, { response: RESPONSES, detail: detail('Dapr service invocation (method "process"): one intent, one envelope') })
    .post('/api/v1/process', handler, { response: RESPONSES, detail: detail('The same intents as /process, under the API prefix') });
};
