import { describe, expect, test } from 'bun:test';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import type { PredictionCache, PredictionKey } from '../../src/ports/prediction-cache.port';
import type { FixedClock } from '../support/fixed-clock';
import { uniqueId } from '../support/services';

export const CACHE_TTL_S = 3600;
export const NOW = Date.UTC(2026, 0, 20, 12);

/** Two handles on the same cache (separate connections where the backend has them) and their clock. */
export interface CacheHarness {
  cache: PredictionCache;
  peer: PredictionCache;
  clock: FixedClock;
}

const student = (): StudentRef => ({ tenantId: uniqueId('t'), studentId: uniqueId('s') });
const key = (extra: Partial<PredictionKey> = {}): PredictionKey => ({ fingerprint: '3|1768900000000', kind: 'next_week', topicIds: ['oop', 'python-basics'], horizonDays: 7, ...extra });
const doc = (predicted: number) => ({ student_id: 'x', overall: { predicted, level: 'proficient' }, topics: [{ topic_id: 'oop', reasons: [] }] });

/** The behaviour every PredictionCache must have: run against the in-memory cache and Redis. */
export function describePredictionCacheContract(name: string, setup: () => CacheHarness) {
  describe(`PredictionCache contract: ${name}`, () => {
    test('a prediction never put reads as absent', async () => {
      const { cache } = setup();
      expect(await cache.getPrediction(student(), key())).toBeUndefined();
    });

    test('a put prediction is found by every handle, whatever the order of its topics', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      await cache.putPrediction(ref, { key: key(), value: doc(0.7), cachedAt: clock.now() });
      expect(await peer.getPrediction(ref, key({ topicIds: ['python-basics', 'oop'] }))).toEqual({ key: key({ topicIds: ['python-basics', 'oop'] }), value: doc(0.7), cachedAt: clock.now() });
    });

    test('another request of the same student is another entry', async () => {
      const { cache, clock } = setup();
      const ref = student();
      await cache.putPrediction(ref, { key: key(), value: doc(0.7), cachedAt: clock.now() });
      for (const other of [key({ topicIds: ['oop'] }), key({ topicIds: undefined }), key({ asOf: NOW - 86_400_000 }), key({ kind: 'trajectory' }), key({ horizonDays: 14 })]) {
        expect(await cache.getPrediction(ref, other)).toBeUndefined();
      }
      expect(await cache.getPrediction({ ...ref, studentId: uniqueId('s') }, key())).toBeUndefined();
      expect(await cache.getPrediction({ ...ref, tenantId: uniqueId('t') }, key())).toBeUndefined();
    });

    test('a new fingerprint (an event applied on any replica) leaves the old entry unused', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      await cache.putPrediction(ref, { key: key(), value: doc(0.7), cachedAt: clock.now() });
      const after = key({ fingerprint: '4|1768900060000' });
      expect(await peer.getPrediction(ref, after)).toBeUndefined();
      await peer.putPrediction(ref, { key: after, value: doc(0.8), cachedAt: clock.now() });
      expect((await cache.getPrediction(ref, after))?.value).toEqual(doc(0.8));
    });

    test('entries of one fingerprint live side by side', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      await cache.putPrediction(ref, { key: key(), value: doc(0.1), cachedAt: clock.now() });
      await peer.putPrediction(ref, { key: key({ kind: 'trajectory', horizonDays: 14, topicIds: undefined }), value: doc(0.2), cachedAt: clock.now() });
      expect((await cache.getPrediction(ref, key()))?.value).toEqual(doc(0.1));
      expect((await cache.getPrediction(ref, key({ kind: 'trajectory', horizonDays: 14, topicIds: undefined })))?.value).toEqual(doc(0.2));
    });

    test('an entry is served until the TTL after cachedAt, then no longer', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      await cache.putPrediction(ref, { key: key(), value: doc(0.7), cachedAt: clock.now() });
      clock.advance(CACHE_TTL_S * 1000 - 1);
      expect(await peer.getPrediction(ref, key())).toBeDefined();
      clock.advance(1);
      expect(await peer.getPrediction(ref, key())).toBeUndefined();
    });

    test('reads return copies', async () => {
      const { cache, clock } = setup();
      const ref = student();
      const value = doc(0.7);
      await cache.putPrediction(ref, { key: key(), value, cachedAt: clock.now() });
      value.overall.predicted = 0;
      const first = await cache.getPrediction<ReturnType<typeof doc>>(ref, key());
      first!.value.topics.push({ topic_id: 'intruder', reasons: [] });
      (first!.key.topicIds as string[]).push('intruder');
      expect(await cache.getPrediction(ref, key())).toEqual({ key: key(), value: doc(0.7), cachedAt: clock.now() });
    });

    test('forgetting a student removes all their entries, seen from every handle, and no one else’s', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      const classmate = { ...ref, studentId: uniqueId('s') };
      await cache.putPrediction(ref, { key: key(), value: doc(0.1), cachedAt: clock.now() });
      await cache.putPrediction(ref, { key: key({ kind: 'trajectory' }), value: doc(0.2), cachedAt: clock.now() });
      await cache.putPrediction(classmate, { key: key(), value: doc(0.3), cachedAt: clock.now() });
      clock.advance(1);
      await peer.forgetStudent(ref, clock.now());
      await peer.forgetStudent(ref, clock.now());
      expect(await cache.getPrediction(ref, key())).toBeUndefined();
      expect(await cache.getPrediction(ref, key({ kind: 'trajectory' }))).toBeUndefined();
      expect((await cache.getPrediction(classmate, key()))?.value).toEqual(doc(0.3));
    });

    test('a prediction read before an erasure and put after it is refused; one read after it is kept', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      const readAt = clock.now();
      clock.advance(5);
      await peer.forgetStudent(ref, clock.now());
      await cache.putPrediction(ref, { key: key(), value: doc(0.7), cachedAt: readAt });
      await cache.putPrediction(ref, { key: key(), value: doc(0.7), cachedAt: clock.now() });
      expect(await peer.getPrediction(ref, key())).toBeUndefined();
      clock.advance(1);
      await cache.putPrediction(ref, { key: key({ fingerprint: '1|new' }), value: doc(0.2), cachedAt: clock.now() });
      expect((await peer.getPrediction(ref, key({ fingerprint: '1|new' })))?.value).toEqual(doc(0.2));
    });

    test('listing a student gives their live entries with their keys, and nothing after forgetting', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      const trajectory = key({ kind: 'trajectory', horizonDays: 14, topicIds: ['oop'], asOf: NOW - 86_400_000 });
      await cache.putPrediction(ref, { key: key(), value: doc(0.1), cachedAt: clock.now() - CACHE_TTL_S * 1000 });
      await cache.putPrediction(ref, { key: trajectory, value: doc(0.2), cachedAt: clock.now() });
      await cache.putPrediction(ref, { key: key({ topicIds: undefined }), value: doc(0.3), cachedAt: clock.now() });
      expect(await peer.listCached(ref)).toEqual([
        { key: key({ topicIds: undefined }), value: doc(0.3), cachedAt: clock.now() },
        { key: trajectory, value: doc(0.2), cachedAt: clock.now() },
      ]);
      await peer.forgetStudent(ref, clock.now());
      expect(await cache.listCached(ref)).toEqual([]);
    });

    test('concurrent puts of one key through two handles keep one value whole', async () => {
      const { cache, peer, clock } = setup();
      const ref = student();
      const values = Array.from({ length: 20 }, (_, i) => doc(i / 20));
      await Promise.all(values.map((v, i) => (i % 2 ? cache : peer).putPrediction(ref, { key: key(), value: v, cachedAt: clock.now() })));
      const found = await cache.getPrediction(ref, key());
      expect(values).toContainEqual(found!.value as ReturnType<typeof doc>);
    });
  });
}
