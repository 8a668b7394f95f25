import { describe, expect, test } from 'bun:test';
import type { Cohort } from '../../src/domain/access/cohort';
import type { CohortStore } from '../../src/ports/cohort-store.port';
import { uniqueId } from '../support/services';

const cohort = (tenantId: string, cohortId: string, extra: Partial<Cohort> = {}): Cohort => ({
  tenantId,
  cohortId,
  name: `Cohort ${cohortId}`,
  teacherIds: ['teacher-1'],
  studentIds: ['student-1', 'student-2'],
  ...extra,
});

export const ERASURE_RETENTION_MS = 3_600_000;
const NOW = Date.UTC(2026, 0, 20);

/**
 * The behaviour every CohortStore must have: run against the in-memory fake and Redis. `peer`
 * gives a second handle on the same data (another connection), when the backend has one.
 */
export function describeCohortStoreContract(name: string, setup: () => CohortStore, peer: () => CohortStore = setup) {
  describe(`CohortStore contract: ${name}`, () => {
    test('an unknown cohort reads as absent and an unknown tenant has none', async () => {
      const store = setup();
      expect(await store.get(uniqueId('t'), 'c1')).toBeUndefined();
      expect(await store.list(uniqueId('t'))).toEqual([]);
    });

    test('put creates, then replaces the whole cohort', async () => {
      const store = setup();
      const t = uniqueId('t');
      await store.put(cohort(t, 'c1'), NOW);
      await store.put(cohort(t, 'c1', { name: 'Renamed', studentIds: ['student-9'] }), NOW);
      expect(await store.get(t, 'c1')).toEqual(cohort(t, 'c1', { name: 'Renamed', studentIds: ['student-9'] }));
    });

    test('list returns the tenant’s cohorts sorted by id, and no other tenant’s', async () => {
      const store = setup();
      const [t, other] = [uniqueId('t'), uniqueId('t')];
      await store.put(cohort(t, 'b'), NOW);
      await store.put(cohort(t, 'a'), NOW);
      await store.put(cohort(other, 'c'), NOW);
      expect((await store.list(t)).map((c) => c.cohortId)).toEqual(['a', 'b']);
      expect(await store.get(other, 'a')).toBeUndefined();
    });

    test('reads return copies', async () => {
      const store = setup();
      const t = uniqueId('t');
      await store.put(cohort(t, 'c1'), NOW);
      (await store.get(t, 'c1'))!.studentIds.push('intruder');
      (await store.list(t))[0]!.teacherIds.push('intruder');
      expect(await store.get(t, 'c1')).toEqual(cohort(t, 'c1'));
    });

    test('removing a student takes them off every roster of the tenant, and no other tenant’s', async () => {
      const store = setup();
      const [t, other] = [uniqueId('t'), uniqueId('t')];
      await store.put(cohort(t, 'a'), NOW);
      await store.put(cohort(t, 'b', { studentIds: ['student-1'] }), NOW);
      await store.put(cohort(other, 'a'), NOW);
      await store.removeStudent(t, 'student-1', NOW);
      await store.removeStudent(t, 'student-1', NOW);
      expect((await store.list(t)).map((c) => c.studentIds)).toEqual([['student-2'], []]);
      expect((await store.get(other, 'a'))?.studentIds).toEqual(['student-1', 'student-2']);
    });

    test('concurrent removals through two handles all hold', async () => {
      const [a, b] = [setup(), peer()];
      const t = uniqueId('t');
      const students = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
      await a.put(cohort(t, 'c1', { studentIds: [...students, 'stays'] }), NOW);
      await Promise.all(students.map((s, i) => (i % 2 ? a : b).removeStudent(t, s, NOW)));
      expect((await a.get(t, 'c1'))?.studentIds).toEqual(['stays']);
    });

    test('a roster naming a student erased within the retention is refused whole; after it, accepted', async () => {
      const [a, b] = [setup(), peer()];
      const t = uniqueId('t');
      await a.put(cohort(t, 'c1'), NOW);
      const stale = (await a.get(t, 'c1'))!;
      await b.removeStudent(t, 'student-1', NOW);
      expect(await a.put({ ...stale, name: 'Renamed' }, NOW + 1)).toEqual({ kind: 'erased_members', studentIds: ['student-1'] });
      expect(await a.get(t, 'c1')).toEqual(cohort(t, 'c1', { studentIds: ['student-2'] }));
      expect(await a.put(stale, NOW + ERASURE_RETENTION_MS + 1)).toEqual({ kind: 'written' });
      expect((await b.get(t, 'c1'))?.studentIds).toEqual(['student-1', 'student-2']);
    });
  });
}
