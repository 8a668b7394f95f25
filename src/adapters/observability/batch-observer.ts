import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PRIORITIES, statusOf, type BatchPriority, type BatchRecord, type Chunk } from '../../domain/batch/batch';
import { processChunk } from '../../domain/batch/run';
import type { RecalculationDeps } from '../../domain/batch/recalculate';
import type { BatchStore } from '../../ports/batch-store.port';
import type { Clock } from '../../ports/clock.port';

export type BatchMetrics = ReturnType<typeof registerBatchMetrics>;

/** Batch metrics. Counters are per replica (sum them); `waiting` is what this replica sees queued. */
export function registerBatchMetrics(registry: Registry) {
  return {
    submitted: new Counter({ name: 'batch_submitted_total', help: 'Batches accepted, by priority', labelNames: ['priority'] as const, registers: [registry] }),
    finished: new Counter({ name: 'batch_finished_total', help: 'Batches finished on this replica (its last chunk counted here), by status', labelNames: ['status'] as const, registers: [registry] }),
    waiting: new Gauge({
      name: 'batch_chunks_waiting',
      help: 'Chunks queued and not yet done, by priority (Kafka: the consumer group lag; in-process: the queue length)',
      labelNames: ['priority'] as const,
      registers: [registry],
    }),
    running: new Gauge({ name: 'batch_chunks_running', help: 'Chunks being processed by this replica', registers: [registry] }),
    students: new Counter({
      name: 'batch_students_processed_total',
      help: 'Students recalculated by batches, by outcome (succeeded, or the failure code); redeliveries not counted',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    redeliveries: new Counter({ name: 'batch_chunk_redeliveries_total', help: 'Chunks processed again after being counted (a crash or rebalance); not counted twice', registers: [registry] }),
    chunkFailures: new Counter({ name: 'batch_chunk_failures_total', help: 'Chunk attempts that failed on infrastructure and will be retried', registers: [registry] }),
    chunkDuration: new Histogram({
      name: 'batch_chunk_duration_seconds',
      help: 'Time to process one chunk, by priority',
      labelNames: ['priority'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/** The structured summary of a batch for its log lines (no student ids: they are personal data). */
export const batchLogFields = (r: BatchRecord) => ({
  batch_id: r.batchId,
  tenant: r.tenantId,
  priority: r.priority,
  status: statusOf(r),
  total: r.total,
  processed: r.processed,
  succeeded: r.succeeded,
  failed: r.failed,
  requested_by: r.requestedBy,
});

/**
 * The chunk handler every queue calls: processes the chunk, then counts it in the metrics and
 * writes one log line when the batch starts (its first chunk anywhere) and one when it ends (its
 * last chunk counted, on whichever replica that happens). Rejects when processing failed, for the
 * queue to retry.
 */
export function observedChunkHandler(deps: { batches: BatchStore; recalculation: RecalculationDeps; clock: Clock }, metrics: BatchMetrics, log: Logger): (chunk: Chunk) => Promise<void> {
  return async (chunk) => {
    const began = deps.clock.now();
    metrics.running.inc();
    try {
      const run = await processChunk(deps, chunk);
      metrics.chunkDuration.observe({ priority: chunk.priority }, (deps.clock.now() - began) / 1000);
      if (run.kind !== 'skipped' && run.firstStart) log.info({ batch_id: chunk.batchId, tenant: chunk.tenantId, priority: chunk.priority }, 'batch started');
      if (run.kind === 'repeat') metrics.redeliveries.inc();
      if (run.kind !== 'counted') return;
      metrics.students.inc({ outcome: 'succeeded' }, run.outcome.results.length);
      for (const f of run.outcome.failures) metrics.students.inc({ outcome: f.code });
      if (run.finishedNow) {
        metrics.finished.inc({ status: statusOf(run.record) });
        log.info({ ...batchLogFields(run.record), duration_ms: (run.record.finishedAt ?? began) - (run.record.startedAt ?? run.record.createdAt) }, 'batch finished');
      }
    } catch (err) {
      metrics.chunkFailures.inc();
      throw err;
    } finally {
      metrics.running.dec();
    }
  };
}

/** Zeroes the waiting gauge for every priority, so a scrape shows all three from the start. */
export function resetWaiting(metrics: BatchMetrics, counts: Partial<Record<BatchPriority, number>> = {}): void {
  for (const p of PRIORITIES) metrics.waiting.set({ priority: p }, counts[p] ?? 0);
}
