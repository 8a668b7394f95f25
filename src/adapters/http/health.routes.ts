import { Elysia, t } from 'elysia';
import type { HealthProbe } from '../../ports/health.port';
import type { Metrics } from '../observability/metrics';
import type { BreakerState } from '../resilience/mastery-store.breaker';
import { ErrorSchema } from './schemas';

export interface DependencyStatus {
  status: 'up' | 'down';
  latency_ms: number;
  error?: string;
}

/** Runs each probe with its own deadline, in parallel, so one hung dependency cannot stall the others. */
export async function checkDependencies(probes: readonly HealthProbe[], timeoutMs: number): Promise<Record<string, DependencyStatus>> {
  const entries = await Promise.all(
    probes.map(async (p): Promise<[string, DependencyStatus]> => {
      const started = performance.now();
      let timer: Timer | undefined;
      try {
        await Promise.race([
          p.check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [p.name, { status: 'up', latency_ms: round(performance.now() - started) }];
      } catch (err) {
        return [p.name, { status: 'down', latency_ms: round(performance.now() - started), error: (err as Error).message }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** The readiness gauge's values, worst highest, as for the breaker state. */
const READINESS_VALUE: Record<Readiness, number> = { ready: 0, degraded: 1, not_ready: 2 };

export interface HealthRoutesDeps {
  /** What this instance needs to serve its own traffic (the state store): one down means 503. */
  probes: readonly HealthProbe[];
  /**
   * What it can serve without (Kafka): one down means `degraded`, still 200. A shared dependency
   * that fails would otherwise take every replica out of the load balancer at once, and the
   * HTTP API, which does not need it, with them.
   */
  optionalProbes?: readonly HealthProbe[];
  /** Breakers in front of required stores: an open one refuses every call, so it means 503 too. */
  breakers?: () => readonly { name: string; state: BreakerState }[];
  /** False once shutdown has begun: the instance must drop out of load balancing first. */
  accepting: () => boolean;
  probeTimeoutMs?: number;
  /** Where each verdict is recorded, so a degraded instance shows in metrics as well. */
  metrics?: Pick<Metrics, 'readiness' | 'dependencyUp'>;
}

export type Readiness = 'ready' | 'degraded' | 'not_ready';

const ReadinessSchema = t.Object({
  status: t.Union([t.Literal('ready'), t.Literal('degraded'), t.Literal('not_ready')]),
  shutting_down: t.Boolean(),
  dependencies: t.Record(
    t.String(),
    t.Object({ status: t.Union([t.Literal('up'), t.Literal('down')]), latency_ms: t.Number(), error: t.Optional(t.String()), required: t.Boolean() }),
  ),
  circuit_breakers: t.Array(t.Object({ name: t.String(), state: t.Union([t.Literal('closed'), t.Literal('half_open'), t.Literal('open')]) })),
});

/**
 * Liveness says the process runs; readiness says whether this instance can serve its own traffic
 * (200 ready or degraded, 503 not ready), dependency by dependency.
 */
export const healthRoutes = (deps: HealthRoutesDeps) =>
  new Elysia({ name: 'health' })
    .get('/health', () => ({ status: 'healthy' as const }), { response: { 200: t.Object({ status: t.Literal('healthy') }) }, detail: { tags: ['ops'], summary: 'Liveness' } })
    .get(
      '/ready',
      async ({ set }) => {
        const timeoutMs = deps.probeTimeoutMs ?? 1000;
        const [required, optional] = await Promise.all([checkDependencies(deps.probes, timeoutMs), checkDependencies(deps.optionalProbes ?? [], timeoutMs)]);
        const breakers = (deps.breakers?.() ?? []).map((b) => ({ name: b.name, state: b.state }));
        const accepting = deps.accepting();
        // Half-open is not a refusal: the next call is the trial that closes the breaker, and an
        // instance out of the load balancer would never get that call.
        const serves = accepting && Object.values(required).every((d) => d.status === 'up') && breakers.every((b) => b.state !== 'open');
        const status: Readiness = !serves ? 'not_ready' : Object.values(optional).every((d) => d.status === 'up') ? 'ready' : 'degraded';
        const dependencies = {
          ...Object.fromEntries(Object.entries(optional).map(([name, d]) => [name, { ...d, required: false }])),
          ...Object.fromEntries(Object.entries(required).map(([name, d]) => [name, { ...d, required: true }])),
        };
        deps.metrics?.readiness.set(READINESS_VALUE[status]);
        for (const [name, d] of Object.entries(dependencies)) deps.metrics?.dependencyUp.set({ dependency: name, required: String(d.required) }, d.status === 'up' ? 1 : 0);
        set.status = serves ? 200 : 503;
        return { status, shutting_down: !accepting, dependencies, circuit_breakers: breakers };
      },
      {
        response: { 200: ReadinessSchema, 503: ReadinessSchema, 429: ErrorSchema },
        detail: { tags: ['ops'], summary: 'Readiness, with each dependency status and latency' },
      },
    );
