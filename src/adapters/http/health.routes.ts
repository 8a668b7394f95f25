import { Elysia, t } from 'elysia';
import type { HealthProbe } from '../../ports/health.port';

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

export interface HealthRoutesDeps {
  probes: readonly HealthProbe[];
  /** False once shutdown has begun: the instance must drop out of load balancing first. */
  accepting: () => boolean;
  probeTimeoutMs?: number;
}

const ReadinessSchema = t.Object({
  status: t.Union([t.Literal('ready'), t.Literal('not_ready')]),
  shutting_down: t.Boolean(),
  dependencies: t.Record(t.String(), t.Object({ status: t.Union([t.Literal('up'), t.Literal('down')]), latency_ms: t.Number(), error: t.Optional(t.String()) })),
});

/** Liveness says the process runs; readiness says it can serve, dependency by dependency. */
export const healthRoutes = (deps: HealthRoutesDeps) =>
  new Elysia({ name: 'health' })
    .get('/health', () => ({ status: 'healthy' as const }), { response: { 200: t.Object({ status: t.Literal('healthy') }) }, detail: { tags: ['ops'], summary: 'Liveness' } })
    .get(
      '/ready',
      async ({ set }) => {
        const dependencies = await checkDependencies(deps.probes, deps.probeTimeoutMs ?? 1000);
        const allUp = Object.values(dependencies).every((d) => d.status === 'up');
        const ready = allUp && deps.accepting();
        set.status = ready ? 200 : 503;
        return { status: ready ? ('ready' as const) : ('not_ready' as const), shutting_down: !deps.accepting(), dependencies };
      },
      {
        response: { 200: ReadinessSchema, 503: ReadinessSchema },
        detail: { tags: ['ops'], summary: 'Readiness, with each dependency status and latency' },
      },
    );
