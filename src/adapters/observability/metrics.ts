import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerStatus } from '../resilience/mastery-store.breaker';

const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * The service's Prometheus metrics, on a registry of their own (not prom-client's global one),
 * so each app instance in tests counts only its own traffic.
 */
export function createMetrics(breakers: () => BreakerStatus[] = () => []) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    breakers,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      // Around the 10 ms p99 target and the 200 ms release threshold.
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
      registers: [registry],
    }),
    httpInFlight: new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being served', registers: [registry] }),
    rateLimited: new Counter({
      name: 'rate_limit_rejections_total',
      help: 'Requests refused with 429, by kind of principal',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    rateLimiterErrors: new Counter({
      name: 'rate_limiter_errors_total',
      help: 'Requests let through because the rate limiter backend failed (fail open)',
      registers: [registry],
    }),
    auditFailures: new Counter({
      name: 'audit_append_failures_total',
      help: 'Audit entries that could not be written (reads are served anyway; GDPR actions fail)',
      registers: [registry],
    }),
    updatesPublishFailures: new Counter({
      name: 'http_mastery_updates_publish_failures_total',
      help: 'Batches of mastery updates from HTTP ingest that could not be published (the events stay applied)',
      registers: [registry],
    }),
    readiness: new Gauge({
      name: 'readiness_state',
      help: 'The last /ready verdict: 0 ready, 1 degraded (an optional dependency such as Kafka is down), 2 not ready',
      registers: [registry],
    }),
    dependencyUp: new Gauge({
      name: 'dependency_up',
      help: 'Whether a dependency answered the last /ready check (1) or not (0); required="false" ones only degrade',
      labelNames: ['dependency', 'required'] as const,
      registers: [registry],
    }),
    eventsIngested: new Counter({
      name: 'events_ingested_total',
      help: 'Learning events by source, type and outcome (applied, duplicate, rejected)',
      labelNames: ['source', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    predictionCacheLookups: new Counter({
      name: 'prediction_cache_lookups_total',
      help: 'Prediction cache lookups by result (hit or miss)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    ...accuracyGauges(registry),
  };
  new Gauge({
    name: 'prediction_cache_hit_ratio',
    help: 'Share of prediction cache lookups of this instance that were hits, since start',
    registers: [registry],
    async collect() {
      const { hit, miss } = await predictionCacheCounts(metrics.predictionCacheLookups);
      // NaN before the first lookup: no ratio yet, which 0 would misreport as all misses.
      this.set(hit + miss === 0 ? Number.NaN : hit / (hit + miss));
    },
  });
  new Gauge({
    name: 'circuit_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
    labelNames: ['name'] as const,
    registers: [registry],
    collect() {
      for (const b of breakers()) this.set({ name: b.name }, BREAKER_STATE_VALUE[b.state]);
    },
  });
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Hits and misses counted so far: the hit ratio for /metrics and /metrics/detailed. */
export async function predictionCacheCounts(lookups: Counter<'result'>): Promise<{ hit: number; miss: number }> {
  const counts = { hit: 0, miss: 0 };
  for (const v of (await lookups.get()).values) if (v.labels.result === 'hit' || v.labels.result === 'miss') counts[v.labels.result] += v.value;
  return counts;
}

/**
 * The live accuracy of the last summary computed per tenant, scope and window (set when one is
 * computed, see prediction-log.metered.ts); a series is absent while its window has no samples.
 */
function accuracyGauges(registry: Registry) {
  const labelNames = ['tenant', 'scope', 'window_days'] as const;
  return {
    predictionAccuracy: {
      samples: new Gauge({ name: 'prediction_accuracy_samples', help: 'Scored 7-day predictions in the window', labelNames, registers: [registry] }),
      mae: new Gauge({ name: 'prediction_accuracy_mae', help: 'Mean absolute error of scored predictions', labelNames, registers: [registry] }),
      bias: new Gauge({ name: 'prediction_accuracy_bias', help: 'Mean of predicted minus actual (positive: optimistic)', labelNames, registers: [registry] }),
      intervalCoverage: new Gauge({ name: 'prediction_accuracy_interval_coverage', help: 'Share of actuals inside the 80% interval', labelNames, registers: [registry] }),
      baselineMae: new Gauge({
        name: 'prediction_accuracy_baseline_mae',
        help: 'Mean absolute error the baselines (last_value, linear) had on the same predictions',
        labelNames: [...labelNames, 'baseline'] as const,
        registers: [registry],
      }),
    },
  };
}
