import { createHash, timingSafeEqual } from 'node:crypto';
import { Elysia } from 'elysia';
import type { Logger } from 'pino';
import type { RateLimitDecision, RateLimiter } from '../../ports/rate-limiter.port';
import type { Metrics } from '../observability/metrics';
import { auditInBackground, type HttpAuditDeps } from './audit';
import type { Authenticate } from './auth';
import { ApiError, errorBody, STATUS_OF, type ErrorCode } from './errors';
import { acceptRequestId, continueTrace, forwardedAddress, requestInfo, setRequestInfo, type RequestInfo } from './request-context';

/** Whether the instance takes new work, and how much it is doing: read by shutdown and /ready. */
export interface Lifecycle {
  accepting: boolean;
  inFlight: number;
}

export interface GateDeps extends HttpAuditDeps {
  authenticate: Authenticate;
  rateLimiter: RateLimiter;
  /**
   * Counts /ready and /metrics/detailed per client address, for this instance alone: readiness
   * must not wait on the shared store it reports on, and the kubelet probing every pod of a node
   * from one address must not use up a count shared by all of them.
   */
  opsRateLimiter: RateLimiter;
  metrics: Metrics;
  logger: Logger;
  lifecycle: Lifecycle;
  settings: GateSettings;
  /**
   * Paths that answer every refusal in their own shape (service invocation's envelope): the gate
   * only stamps request id, trace and security headers on them.
   */
  selfGuardedPaths?: ReadonlySet<string>;
  /** Larger body limits for some paths (a full events batch), instead of settings.bodyLimitBytes. */
  bodyLimits?: Readonly<Record<string, number>>;
}

export interface GateSettings {
  rateLimitPerMinute: number;
  opsRateLimitPerMinute: number;
  bodyLimitBytes: number;
  corsOrigins: readonly string[];
  /** When set, /metrics and /metrics/detailed want it as a Bearer token. */
  metricsToken: string | undefined;
}

const API_PREFIX = '/api/v1/';
/** Probes keep answering during shutdown: /ready must be able to say 503. */
const PROBES = new Set(['/health', '/ready']);
/** Operational endpoints that do real work per call: dependency checks, every metric as JSON. */
const OPS_LIMITED = new Set(['/ready', '/metrics/detailed']);
const METRICS = new Set(['/metrics', '/metrics/detailed']);
const WINDOW_SECONDS = 60;
const BEARER_TOKEN = /^Bearer (\S+)$/;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
} as const;
/** The interactive docs page loads its script and styles; it still may not be framed. */
const DOCS_CSP = "default-src 'self' https: 'unsafe-inline'; img-src 'self' data: https:; frame-ancestors 'none'";
/**
 * The dashboard runs only its own files (no inline script or style, nothing from elsewhere) and
 * talks only to this origin's API: an injected string can neither run nor send data away.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Reads a body that declared no length with a running count, so it cannot exceed the limit
 * either; a declared length was already checked against the limit before parsing.
 */
export async function readBounded(request: Request, limit: number): Promise<string> {
  const reader = request.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ApiError('payload_too_large', `the body may be at most ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Compares digests, so the time taken says nothing about how much of the token was right. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** IETF draft-ietf-httpapi-ratelimit-headers: the policy, and what is left of it. */
function rateLimitHeaders(d: RateLimitDecision): Record<string, string> {
  return {
    'ratelimit-policy': `"default";q=${d.limit};w=${WINDOW_SECONDS}`,
    ratelimit: `"default";r=${d.remaining};t=${d.resetSeconds}`,
  };
}

/**
 * Everything decided before routing, in order: request id and trace, security headers, CORS,
 * shutdown, the per-address limit on /ready and /metrics/detailed, the metrics token, then for
 * /api/v1 authentication, the rate limit (per principal, or per client address when
 * authentication failed), media type and declared size. Refusals here never reach a parser, a
 * handler or a store.
 */
export function createGate(deps: GateDeps) {
  const { settings, metrics, lifecycle } = deps;
  const corsOrigins = new Set(settings.corsOrigins);
  const bodyLimit = (path: string) => deps.bodyLimits?.[path] ?? settings.bodyLimitBytes;

  /**
   * Closes a request's books: in-flight count, duration histogram, the one log line. Elysia skips
   * after-response hooks for answers given in onRequest, so the gate calls this itself for those.
   */
  const finish = (request: Request, info: RequestInfo, route: string, status: number) => {
    lifecycle.inFlight -= 1;
    metrics.httpInFlight.dec();
    const seconds = (performance.now() - info.startedAt) / 1000;
    metrics.httpDuration.observe({ route, method: request.method, status: String(status) }, seconds);
    deps.logger.info(
      {
        request_id: info.requestId,
        trace_id: info.traceId,
        method: request.method,
        route,
        status,
        duration_ms: Math.round(seconds * 100_000) / 100,
        role: info.principal?.role,
        tenant: info.principal?.tenantId,
      },
      'request',
    );
  };

  /** Answers from the gate are labelled route "(gate)": the router never saw them. */
  const refuse = (
    request: Request,
    set: { status?: number | string; headers: Record<string, string | number> },
    info: RequestInfo,
    code: ErrorCode,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    set.status = STATUS_OF[code];
    Object.assign(set.headers, headers, { 'content-type': 'application/json' });
    finish(request, info, '(gate)', STATUS_OF[code]);
    return errorBody(code, message, info.requestId);
  };

  /** Counts one request; a failing limiter lets it through (fail open) and is counted. */
  async function limit(limiter: RateLimiter, key: string, perMinute: number): Promise<RateLimitDecision | undefined> {
    try {
      return await limiter.hit(key, perMinute, WINDOW_SECONDS);
    } catch (err) {
      metrics.rateLimiterErrors.inc();
      deps.logger.warn({ error: (err as Error).message }, 'rate limiter unavailable: failing open');
      return undefined;
    }
  }

  return new Elysia({ name: 'gate' })
    .onRequest(async ({ request, set, server }) => {
      const url = new URL(request.url);
      const address = () => forwardedAddress(request) ?? server?.requestIP(request)?.address ?? 'unknown';
      const trace = continueTrace(request.headers.get('traceparent'));
      const info: RequestInfo = { requestId: acceptRequestId(request.headers.get('x-request-id')), startedAt: performance.now(), traceId: trace.traceId };
      setRequestInfo(request, info);
      lifecycle.inFlight += 1;
      metrics.httpInFlight.inc();
      Object.assign(set.headers, SECURITY_HEADERS, { 'x-request-id': info.requestId, traceparent: trace.traceparent });
      if (url.pathname === '/docs' || url.pathname.startsWith('/docs/')) set.headers['content-security-policy'] = DOCS_CSP;
      if (url.pathname === '/dashboard' || url.pathname.startsWith('/dashboard/')) set.headers['content-security-policy'] = DASHBOARD_CSP;

      const origin = request.headers.get('origin');
      if (origin && corsOrigins.has(origin)) {
        Object.assign(set.headers, { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'ETag, X-Request-ID, RateLimit, RateLimit-Policy, Retry-After' });
        if (request.method === 'OPTIONS') {
          set.status = 204;
          Object.assign(set.headers, {
            'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
            'access-control-allow-headers': 'Authorization, Content-Type, If-None-Match, X-Request-ID, traceparent',
            'access-control-max-age': '600',
          });
          finish(request, info, '(gate)', 204);
          return '';
        }
      }

      // Each intent of an invocation comes back through this gate as a request to its REST route,
      // and is authenticated, limited and refused there.
      if (deps.selfGuardedPaths?.has(url.pathname)) return;
      if (!lifecycle.accepting && !PROBES.has(url.pathname)) {
        return refuse(request, set, info, 'shutting_down', 'the service is shutting down; retry on another instance', { connection: 'close', 'retry-after': '1' });
      }
      if (OPS_LIMITED.has(url.pathname)) {
        const decision = await limit(deps.opsRateLimiter, `ops:${address()}`, settings.opsRateLimitPerMinute);
        if (decision) Object.assign(set.headers, rateLimitHeaders(decision));
        if (decision && !decision.allowed) {
          metrics.rateLimited.inc({ kind: 'ops' });
          return refuse(request, set, info, 'rate_limited', `more than ${decision.limit} requests per minute`, { 'retry-after': String(decision.resetSeconds) });
        }
      }
      if (METRICS.has(url.pathname) && settings.metricsToken !== undefined) {
        const given = BEARER_TOKEN.exec(request.headers.get('authorization') ?? '')?.[1];
        if (given === undefined || !sameSecret(given, settings.metricsToken)) {
          return refuse(request, set, info, 'unauthorized', 'the metrics token is required', { 'www-authenticate': 'Bearer realm="metrics"' });
        }
      }
      if (!url.pathname.startsWith(API_PREFIX)) return;

      set.headers['cache-control'] = 'no-store';
      const auth = await deps.authenticate(request, url);
      // By pseudonym: the count names no one, so an erasure need not (and cannot) reset it.
      const key = auth.ok ? `p:${auth.principal.tenantId}/${deps.pseudonymize(auth.principal.tenantId, auth.principal.subject)}` : `ip:${address()}`;
      const decision = await limit(deps.rateLimiter, key, settings.rateLimitPerMinute);
      if (decision) Object.assign(set.headers, rateLimitHeaders(decision));
      if (decision && !decision.allowed) {
        metrics.rateLimited.inc({ kind: auth.ok ? auth.principal.role : 'anonymous' });
        return refuse(request, set, info, 'rate_limited', `more than ${decision.limit} requests per minute`, { 'retry-after': String(decision.resetSeconds) });
      }
      if (!auth.ok) {
        auditInBackground(deps, request, 'auth.denied', null, 'denied');
        return refuse(request, set, info, 'unauthorized', auth.reason, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      info.principal = auth.principal;

      if (request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH') {
        const type = request.headers.get('content-type') ?? '';
        if (!/^application\/json\s*(;|$)/i.test(type)) {
          return refuse(request, set, info, 'unsupported_media_type', 'the body must be application/json');
        }
        const declared = Number(request.headers.get('content-length') ?? 0);
        if (declared > bodyLimit(url.pathname)) {
          return refuse(request, set, info, 'payload_too_large', `the body may be at most ${bodyLimit(url.pathname)} bytes`);
        }
      }
    })
    .onParse({ as: 'global' }, async ({ request, path }, contentType) => {
      // Self-guarded paths read their own body, so that a refusal keeps their shape; a value other
      // than undefined tells Elysia the body is taken care of, and the stream stays unread.
      if (deps.selfGuardedPaths?.has(path)) return '';
      if (!/^application\/json/i.test(contentType)) return;
      const text = request.headers.has('content-length') ? await request.text() : await readBounded(request, bodyLimit(path));
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ApiError('malformed_json', 'the body is not valid JSON');
      }
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set }) => {
      const info = requestInfo(request);
      if (info) finish(request, info, route || 'unmatched', Number(set.status ?? 200));
    });
}
