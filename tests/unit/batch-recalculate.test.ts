import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryPredictionCache } from '../../src/adapters/memory/prediction-cache.memory';
import type { CurriculumSource } from '../../src/ports/curriculum-source.port';
import { recalculateChunk, type RecalculationDeps } from '../../src/domain/batch/recalculate';
import { parseCurriculum, type Curriculum } from '../../src/domain/mastery/curriculum';
import { ingestEvent } from '../../src/domain/mastery/engine';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { shippedCurriculum } from '../support/curriculum';
import { FixedClock } from '../support/fixed-clock';
import { memoryStore, testPseudonymize } from '../support/stores';

const NOW = Date.parse('2026-01-20T12:00:00Z');
const policy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] as const };
const ref = { tenantId: 't', studentId: 's1' };
const key = { fingerprint: 'f', kind: 'next_week' as const, horizonDays: 7 };

/** The shipped curriculum with one more lesson in python-basics: completion's denominator moves. */
function widerCurriculum(): Curriculum {
  const raw = JSON.parse(readFileSync(join(import.meta.dir, '../../data/curriculum.json'), 'utf8'));
  raw.topics.find((t: { topic_id: string }) => t.topic_id === 'python-basics').lessons.push('python-basics.extra');
  const parsed = parseCurriculum(raw);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.curriculum;
}

/** One curriculum for every tenant. */
const fixed = (curriculum: Curriculum): CurriculumSource => ({ forTenant: async () => ({ version: 0, curriculum }), changed: () => {} });

async function setup() {
  const clock = new FixedClock(NOW);
  const store = memoryStore(clock);
  const predictionCache = new MemoryPredictionCache({ clock, ttlMs: 3_600_000, pseudonymize: testPseudonymize });
  const engine = { store, clock, curricula: fixed(shippedCurriculum), policy, consentByDefault: true, eventWindow: { maxSkewMs: 300_000, idempotencyRetentionMs: 7 * DAY_MS } };
  const lesson = { event_id: 'e1', event_type: 'lesson.completed', tenant_id: 't', student_id: 's1', topic_id: 'python-basics', occurred_at: '2026-01-20T10:00:00Z', data: { lesson_id: 'python-basics.intro' } };
  expect((await ingestEvent(engine, lesson)).kind).toBe('applied');
  clock.advance(DAY_MS);
  await predictionCache.putPrediction(ref, { key, value: { p: 1 }, cachedAt: clock.now() });
  const deps = (curriculum: Curriculum): RecalculationDeps => ({ store, snapshots: store, clock, curricula: fixed(curriculum), policy, consentByDefault: true, predictionCache });
  return { deps, predictionCache };
}

describe('recalculation and cached predictions', () => {
  test('a day without events moves only consistency: cached predictions stay, they would be computed the same', async () => {
    const { deps, predictionCache } = await setup();
    const outcome = await recalculateChunk(deps(shippedCurriculum), 't', ['s1']);
    expect(outcome.results).toHaveLength(1);
    expect(await predictionCache.getPrediction(ref, key)).toBeDefined();
  });

  test('a curriculum change moves completion: cached predictions are dropped', async () => {
    const { deps, predictionCache } = await setup();
    await recalculateChunk(deps(widerCurriculum()), 't', ['s1']);
    expect(await predictionCache.getPrediction(ref, key)).toBeUndefined();
  });
});
