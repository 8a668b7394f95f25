import type { Gauge } from 'prom-client';
import type { AccuracySummary, RememberedPrediction, ServedPrediction } from '../../domain/prediction/accuracy';
import { dayOf } from '../../domain/mastery/topic-state';
import type { StudentRef } from '../../ports/mastery-store.port';
import type { AccuracyWindow, DuePrediction, PredictionLog, ScoreOutcome } from '../../ports/prediction-log.port';
import type { Metrics } from './metrics';

const daysIn = (w: AccuracyWindow): number => dayOf(Date.parse(`${w.toDay}T00:00:00Z`)) - dayOf(Date.parse(`${w.fromDay}T00:00:00Z`)) + 1;

/**
 * Publishes each accuracy summary computed through it as Prometheus gauges, labelled by tenant,
 * scope and window length; otherwise the inner log's contract, unchanged. A gauge holds the last
 * summary this instance computed: another replica's summary of the same window reads the same
 * shared sums, so the values agree up to scores recorded in between.
 */
export class MeteredPredictionLog implements PredictionLog {
  constructor(
    private readonly inner: PredictionLog,
    private readonly gauges: Metrics['predictionAccuracy'],
  ) {}

  async accuracySummary(window: AccuracyWindow): Promise<AccuracySummary> {
    const summary = await this.inner.accuracySummary(window);
    const labels = { tenant: window.tenantId, scope: window.scope, window_days: String(daysIn(window)) };
    this.gauges.samples.set(labels, summary.samples);
    const values: [Gauge<string>, Record<string, string>, number | null][] = [
      [this.gauges.mae, labels, summary.mae],
      [this.gauges.bias, labels, summary.bias],
      [this.gauges.intervalCoverage, labels, summary.intervalCoverage],
      [this.gauges.baselineMae, { ...labels, baseline: 'last_value' }, summary.baselineMae.lastValue],
      [this.gauges.baselineMae, { ...labels, baseline: 'linear' }, summary.baselineMae.linear],
    ];
    for (const [gauge, l, v] of values) {
      if (v === null) gauge.remove(l);
      else gauge.set(l, v);
    }
    return summary;
  }

  rememberServed(ref: StudentRef, predictions: readonly ServedPrediction[]): Promise<void> {
    return this.inner.rememberServed(ref, predictions);
  }

  dueForScoring(query: { tenantId: string; asOfDay: string; limit: number; student?: StudentRef }): Promise<DuePrediction[]> {
    return this.inner.dueForScoring(query);
  }

  recordActual(tenantId: string, prediction: DuePrediction, actual: number, scoredAt: number): Promise<ScoreOutcome> {
    return this.inner.recordActual(tenantId, prediction, actual, scoredAt);
  }

  listRemembered(ref: StudentRef): Promise<RememberedPrediction[]> {
    return this.inner.listRemembered(ref);
  }

  forgetStudent(ref: StudentRef, at: number): Promise<void> {
    return this.inner.forgetStudent(ref, at);
  }
}
