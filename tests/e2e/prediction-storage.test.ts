import { describe, expect, test } from 'bun:test';
import type { ServedPrediction } from '../../src/domain/prediction/accuracy';
import { bearer, NOW, testApp } from '../support/http';

const ref = { tenantId: 'default', studentId: 'student-1' };
const served = (topicId: string | null): ServedPrediction => ({
  servedAt: NOW - 9 * 86_400_000,
  targetDay: '2026-01-18',
  topicId,
  predicted: 0.6,
  low: 0.5,
  high: 0.7,
  baselines: { lastValue: 0.55, linear: 0.65 },
});
const key = { fingerprint: '2|1768900000000', kind: 'next_week' as const, topicIds: ['oop'], horizonDays: 7 };

describe('prediction cache and log as a client sees them', () => {
  test('the cache hit ratio is in /metrics and /metrics/detailed', async () => {
    const { call, deps } = testApp();
    expect((await call('GET', '/metrics/detailed')).json.prediction_cache).toEqual({ hits: 0, misses: 0, hit_ratio: null });
    await deps.predictionCache.getPrediction(ref, key);
    await deps.predictionCache.putPrediction(ref, { key, value: { overall: 0.6 }, cachedAt: NOW });
    for (let i = 0; i < 3; i++) await deps.predictionCache.getPrediction(ref, key);
    expect((await call('GET', '/metrics/detailed')).json.prediction_cache).toEqual({ hits: 3, misses: 1, hit_ratio: 0.75 });
    const text = (await call('GET', '/metrics')).text;
    expect(text).toContain('prediction_cache_lookups_total{result="hit"} 3');
    expect(text).toContain('prediction_cache_hit_ratio 0.75');
  });

  test('an accuracy summary is published as gauges per tenant, scope and window', async () => {
    const { call, deps } = testApp();
    await deps.predictionLog.rememberServed(ref, [served('oop')]);
    const [due] = await deps.predictionLog.dueForScoring({ tenantId: 'default', asOfDay: '2026-01-20', limit: 10 });
    await deps.predictionLog.recordActual('default', due!, 0.7, NOW);
    const window = { tenantId: 'default', fromDay: '2026-01-14', toDay: '2026-01-20', scope: 'topics' as const };
    await deps.predictionLog.accuracySummary(window);
    await deps.predictionLog.accuracySummary({ ...window, scope: 'overall' });
    const text = (await call('GET', '/metrics')).text;
    const labels = 'tenant="default",scope="topics",window_days="7"';
    expect(text).toContain(`prediction_accuracy_samples{${labels}} 1`);
    expect(text).toContain(`prediction_accuracy_mae{${labels}} 0.1`);
    expect(text).toContain(`prediction_accuracy_interval_coverage{${labels}} 1`);
    expect(text).toContain(`prediction_accuracy_baseline_mae{${labels},baseline="last_value"} 0.15`);
    // No samples in the overall scope: a count of 0 and no error series, rather than an error of 0.
    expect(text).toContain('prediction_accuracy_samples{tenant="default",scope="overall",window_days="7"} 0');
    expect(text).not.toContain('prediction_accuracy_mae{tenant="default",scope="overall"');
  });

  test('the export lists remembered and cached predictions; after erasure both are gone', async () => {
    const { call, deps } = testApp();
    const admin = await bearer('admin', 'admin-1');
    await deps.predictionLog.rememberServed(ref, [served('oop'), served(null)]);
    await deps.predictionCache.putPrediction(ref, { key, value: { overall: 0.6 }, cachedAt: NOW });
    const before = await call('GET', '/api/v1/compliance/export/student-1', { headers: admin });
    expect(before.status).toBe(200);
    expect(before.json.predictions).toEqual([
      { target_day: '2026-01-18', topic_id: null, served_at: '2026-01-11T12:00:00.000Z', predicted: 0.6, low: 0.5, high: 0.7, baselines: { last_value: 0.55, linear: 0.65 }, actual: null, scored_at: null },
      { target_day: '2026-01-18', topic_id: 'oop', served_at: '2026-01-11T12:00:00.000Z', predicted: 0.6, low: 0.5, high: 0.7, baselines: { last_value: 0.55, linear: 0.65 }, actual: null, scored_at: null },
    ]);
    expect(before.json.cached_predictions).toEqual([{ kind: 'next_week', topic_ids: ['oop'], as_of: null, horizon_days: 7, cached_at: '2026-01-20T12:00:00.000Z', prediction: { overall: 0.6 } }]);
    expect((await call('DELETE', '/api/v1/compliance/student/student-1', { headers: admin })).status).toBe(200);
    const after = await call('GET', '/api/v1/compliance/export/student-1', { headers: admin });
    expect([after.json.predictions, after.json.cached_predictions]).toEqual([[], []]);
    expect(await deps.predictionLog.dueForScoring({ tenantId: 'default', asOfDay: '2026-01-20', limit: 10 })).toEqual([]);
  });
});
