import { describe, expect, test } from 'bun:test';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import type { RecommendationStore, ServedRecommendation, ServedSet } from '../../src/ports/recommendation-store.port';
import { uniqueId } from '../support/services';

export const CACHE_TTL_MS = 60_000;
export const RETENTION_MS = 3_600_000;
export const MAX_RECORDS = 5;
export const ERASURE_RETENTION_MS = 600_000;
const NOW = Date.UTC(2026, 0, 20, 12);

const student = (): StudentRef => ({ tenantId: uniqueId('t'), studentId: uniqueId('s') });

const rec = (topicId: string, servedAt: number, extra: Partial<ServedRecommendation> = {}): ServedRecommendation => ({
  recommendationId: uniqueId('r'),
  topicId,
  area: 'quiz',
  action: 'practice',
  priority: 'high',
  expectedGain: 0.21,
  estimatedMinutes: 20,
  reason: `practise ${topicId}`,
  servedAt,
  ...extra,
});

const set = (key: string, at: number, topics = ['a', 'b']): ServedSet => ({
  key,
  generatedAt: at,
  recommendations: topics.map((t, i) => rec(t, at, i === 0 ? { area: 'completion', action: 'review', items: ['l1', 'l2'] } : {})),
});

/**
 * The behaviour every RecommendationStore must have, run against the in-memory fake and Redis.
 * `peer` is a second handle on the same data over another connection, when the backend has one.
 */
export function describeRecommendationStoreContract(name: string, setup: () => RecommendationStore, peer: () => RecommendationStore = setup) {
  describe(`RecommendationStore contract: ${name}`, () => {
    test('an unknown student has no cache, no history, and feedback finds nothing', async () => {
      const store = setup();
      const ref = student();
      expect(await store.latest(ref, NOW)).toBeUndefined();
      expect(await store.history(ref, NOW)).toEqual([]);
      expect(await store.feedback(ref, 'nope', { status: 'accepted', at: NOW })).toBe('not_found');
    });

    test('the latest recorded set is read back through any handle, for that student only, until the cache TTL has passed', async () => {
      const [a, b] = [setup(), peer()];
      const ref = student();
      const s = set('k1', NOW);
      expect(await a.record(ref, s, NOW - 1000)).toEqual({ kind: 'recorded' });
      expect(await b.latest(ref, NOW + CACHE_TTL_MS - 1)).toEqual(s);
      expect(await b.latest(ref, NOW + CACHE_TTL_MS)).toBeUndefined();
      expect(await b.latest({ ...ref, studentId: uniqueId('s') }, NOW)).toBeUndefined();
    });

    test('recording under a key with a fresh entry writes nothing and answers the entry; a new key replaces it', async () => {
      const store = setup();
      const ref = student();
      const first = set('k1', NOW);
      await store.record(ref, first, NOW - 1000);
      expect(await store.record(ref, set('k1', NOW + 5), NOW)).toEqual({ kind: 'existing', set: first });
      expect((await store.history(ref, NOW + 5)).length).toBe(2);
      const second = set('k2', NOW + 10, ['c']);
      expect(await store.record(ref, second, NOW)).toEqual({ kind: 'recorded' });
      expect(await store.latest(ref, NOW + 10)).toEqual(second);
      // Past the cache TTL the same key is generated afresh.
      expect(await store.record(ref, set('k2', NOW + 10 + CACHE_TTL_MS), NOW)).toEqual({ kind: 'recorded' });
    });

    test('two handles recording the same answer at once end with one set, which both serve', async () => {
      const [a, b] = [setup(), peer()];
      const ref = student();
      const sets = Array.from({ length: 10 }, () => set('same', NOW));
      const outcomes = await Promise.all(sets.map((s, i) => (i % 2 ? a : b).record(ref, s, NOW - 1000)));
      expect(outcomes.filter((o) => o.kind === 'recorded').length).toBe(1);
      const winner = sets[outcomes.findIndex((o) => o.kind === 'recorded')]!;
      for (const o of outcomes) if (o.kind === 'existing') expect(o.set).toEqual(winner);
      expect((await a.history(ref, NOW)).map((r) => r.recommendationId)).toEqual(winner.recommendations.map((r) => r.recommendationId));
    });

    test('history lists newest set first, each in serving order, with the latest feedback', async () => {
      const [a, b] = [setup(), peer()];
      const ref = student();
      const older = set('k1', NOW, ['a', 'b']);
      const newer = set('k2', NOW + 1000, ['c', 'd']);
      await a.record(ref, older, NOW - 1000);
      await a.record(ref, newer, NOW - 1000);
      const target = older.recommendations[1]!.recommendationId;
      expect(await b.feedback(ref, target, { status: 'accepted', at: NOW + 2000 })).toBe('recorded');
      expect(await a.feedback(ref, target, { status: 'completed', helpful: true, at: NOW + 3000 })).toBe('recorded');
      const history = await b.history(ref, NOW + 4000);
      expect(history.map((r) => r.topicId)).toEqual(['c', 'd', 'a', 'b']);
      expect(history[3]).toEqual({ ...older.recommendations[1]!, feedback: { status: 'completed', helpful: true, at: NOW + 3000 } });
      expect(history[2]).toEqual(older.recommendations[0]!);
    });

    test('values returned are copies', async () => {
      const store = setup();
      const ref = student();
      const s = set('k1', NOW);
      await store.record(ref, s, NOW - 1000);
      s.recommendations[0]!.items!.push('mutated');
      (await store.latest(ref, NOW))!.recommendations[0]!.items!.push('mutated');
      (await store.history(ref, NOW))[0]!.items!.push('mutated');
      expect((await store.history(ref, NOW))[0]!.items).toEqual(['l1', 'l2']);
      expect((await store.latest(ref, NOW))!.recommendations[0]!.items).toEqual(['l1', 'l2']);
    });

    test('records live for the retention: then history leaves them out and feedback cannot find them', async () => {
      const store = setup();
      const ref = student();
      const s = set('k1', NOW);
      await store.record(ref, s, NOW - 1000);
      const id = s.recommendations[0]!.recommendationId;
      expect((await store.history(ref, NOW + RETENTION_MS - 1)).length).toBe(2);
      expect(await store.history(ref, NOW + RETENTION_MS)).toEqual([]);
      expect(await store.feedback(ref, id, { status: 'completed', at: NOW + RETENTION_MS })).toBe('not_found');
      // A later record prunes them for good.
      await store.record(ref, set('k2', NOW + RETENTION_MS, ['z']), NOW);
      expect((await store.history(ref, NOW + RETENTION_MS)).map((r) => r.topicId)).toEqual(['z']);
    });

    test('only the newest records up to the maximum are kept', async () => {
      const store = setup();
      const ref = student();
      for (let i = 0; i < 4; i++) await store.record(ref, set(`k${i}`, NOW + i, [`t${i}a`, `t${i}b`]), NOW - 1000);
      expect((await store.history(ref, NOW + 10)).map((r) => r.topicId)).toEqual(['t3a', 't3b', 't2a', 't2b', 't1a'].slice(0, MAX_RECORDS));
    });

    test('erasure through one handle forgets cache, history and feedback, and a record racing it is refused', async () => {
      const [a, b] = [setup(), peer()];
      const ref = student();
      const other = { ...ref, studentId: uniqueId('s') };
      const s = set('k1', NOW);
      await a.record(ref, s, NOW - 1000);
      await a.record(other, set('k1', NOW), NOW - 1000);
      await a.feedback(ref, s.recommendations[0]!.recommendationId, { status: 'dismissed', at: NOW + 1 });
      await b.eraseStudent(ref, NOW + 100);
      expect(await a.latest(ref, NOW + 200)).toBeUndefined();
      expect(await a.history(ref, NOW + 200)).toEqual([]);
      expect(await a.feedback(ref, s.recommendations[0]!.recommendationId, { status: 'completed', at: NOW + 200 })).toBe('not_found');
      // Computed from a state read before the erasure: not kept.
      expect(await a.record(ref, set('k2', NOW + 200), NOW + 50)).toEqual({ kind: 'erased' });
      expect(await a.history(ref, NOW + 300)).toEqual([]);
      // From a state read after it: kept.
      expect(await a.record(ref, set('k3', NOW + 300, ['new']), NOW + 101)).toEqual({ kind: 'recorded' });
      expect((await b.history(ref, NOW + 300)).map((r) => r.topicId)).toEqual(['new']);
      expect((await b.history(other, NOW + 300)).length).toBe(2);
    });

    test('erasure is idempotent and the latest erasure time wins', async () => {
      const store = setup();
      const ref = student();
      await store.eraseStudent(ref, NOW + 100);
      await store.eraseStudent(ref, NOW + 50);
      expect(await store.record(ref, set('k', NOW + 200), NOW + 99)).toEqual({ kind: 'erased' });
    });
  });
}
