import { Elysia, t } from 'elysia';
import { predictionCacheCounts, type Metrics } from '../observability/metrics';
import { ErrorSchema } from './schemas';

export interface ServiceInfo {
  name: string;
  version: string;
  commit: string;
  /** Epoch ms at start-up. */
  startedAt: number;
  backends: Record<string, string>;
}

/** Sums a counter's values by one label, e.g. events by outcome. */
async function totalsBy(metric: { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> }, label: string) {
  const totals: Record<string, number> = {};
  for (const v of (await metric.get()).values) {
    const key = String(v.labels[label] ?? 'all');
    totals[key] = (totals[key] ?? 0) + v.value;
  }
  return totals;
}

/** This instance's prediction cache lookups since start. */
async function predictionCacheWire(metrics: Metrics) {
  const { hit, miss } = await predictionCacheCounts(metrics.predictionCacheLookups);
  return { hits: hit, misses: miss, hit_ratio: hit + miss === 0 ? null : hit / (hit + miss) };
}

/** Once shutdown begins the gate refuses these, unlike the probes (gate.ts). */
const SHUTTING_DOWN = { 503: ErrorSchema } as const;

/**
 * Service information and metrics, without a user's token: the gate asks for METRICS_TOKEN on the
 * metrics when it is set, and limits /metrics/detailed per client address.
 */
export const opsRoutes = (deps: { metrics: Metrics; info: ServiceInfo; clock: { now(): number } }) =>
  new Elysia({ name: 'ops-routes' })
    .get(
      '/',
      () => ({
        name: deps.info.name,
        version: deps.info.version,
        commit: deps.info.commit,
        uptime_seconds: Math.round((deps.clock.now() - deps.info.startedAt) / 1000),
        backends: deps.info.backends,
        docs: '/docs',
      }),
      {
        response: {
          200: t.Object({ name: t.String(), version: t.String(), commit: t.String(), uptime_seconds: t.Number(), backends: t.Record(t.String(), t.String()), docs: t.String() }),
          ...SHUTTING_DOWN,
        },
        detail: { tags: ['ops'], summary: 'Service name, version, commit, uptime and backends' },
      },
    )
    .get(
      '/metrics',
      async ({ set }) => {
        set.headers['content-type'] = deps.metrics.registry.contentType;
        return deps.metrics.registry.metrics();
      },
      { response: { 200: t.String({ description: 'the Prometheus text format' }), 401: ErrorSchema, ...SHUTTING_DOWN }, detail: { tags: ['ops'], summary: 'Prometheus metrics' } },
    )
    .get(
      '/metrics/detailed',
      async () => ({
        uptime_seconds: Math.round((deps.clock.now() - deps.info.startedAt) / 1000),
        requests_in_flight: (await deps.metrics.httpInFlight.get()).values[0]?.value ?? 0,
        rate_limit_rejections: await totalsBy(deps.metrics.rateLimited, 'kind'),
        rate_limiter_errors: (await deps.metrics.rateLimiterErrors.get()).values[0]?.value ?? 0,
        events_by_outcome: await totalsBy(deps.metrics.eventsIngested, 'outcome'),
        prediction_cache: await predictionCacheWire(deps.metrics),
        circuit_breakers: deps.metrics.breakers(),
        memory: { rss_bytes: process.memoryUsage().rss, heap_used_bytes: process.memoryUsage().heapUsed },
      }),
      {
        response: {
          200: t.Object({
            uptime_seconds: t.Number(),
            requests_in_flight: t.Number(),
            rate_limit_rejections: t.Record(t.String(), t.Number()),
            rate_limiter_errors: t.Number(),
            events_by_outcome: t.Record(t.String(), t.Number()),
            prediction_cache: t.Object({ hits: t.Number(), misses: t.Number(), hit_ratio: t.Nullable(t.Number({ description: 'null before the first lookup' })) }),
            circuit_breakers: t.Array(
              t.Object({ name: t.String(), state: t.String(), failures: t.Number(), successes: t.Number(), rejects: t.Number(), timeouts: t.Number() }),
            ),
            memory: t.Object({ rss_bytes: t.Number(), heap_used_bytes: t.Number() }),
          }),
          401: ErrorSchema,
          429: ErrorSchema,
          ...SHUTTING_DOWN,
        },
        detail: { tags: ['ops'], summary: 'Metrics as JSON, including circuit breakers' },
      },
    );
