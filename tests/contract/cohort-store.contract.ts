import { describe, expect, test } from 'bun:test';
import type { Cohort } from '../../src/domain/cohort';
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

/** The behaviour every CohortStore must have: run against the in-memory fake and Redis. */
export function describeCohortStoreContract(name: string, setup: () => CohortStore) {
  describe(`CohortStore contract: ${name}`, () => {
    test('an unknown cohort reads as absent and an unknown tenant has none', async () => {
      const store = setup();
      expect(await store.get(uniqueId('t'), 'c1')).toBeUndefined();
      expect(await store.list(uniqueId('t'))).toEqual([]);
    });

    test('put creates, then replaces the whole cohort', async () => {
      const store = setup();
      const t = uniqueId('t');
      await store.put(cohort(t, 'c1'));
      await store.put(cohort(t, 'c1', { name: 'Renamed', studentIds: ['student-9'] }));
      expect(await store.get(t, 'c1')).toEqual(cohort(t, 'c1', { name: 'Renamed', studentIds: ['student-9'] }));
    });

    test('list returns the tenant’s cohorts sorted by id, and no other tenant’s', async () => {
      const store = setup();
      const [t, other] = [uniqueId('t'), uniqueId('t')];
      await store.put(cohort(t, 'b'));
      await store.put(cohort(t, 'a'));
      await store.put(cohort(other, 'c'));
      expect((await store.list(t)).map((c) => c.cohortId)).toEqual(['a', 'b']);
      expect(await store.get(other, 'a')).toBeUndefined();
    });

    test('reads return copies', async () => {
      const store = setup();
      const t = uniqueId('t');
      await store.put(cohort(t, 'c1'));
      (await store.get(t, 'c1'))!.studentIds.push('intruder');
      (await store.list(t))[0]!.teacherIds.push('intruder');
      expect(await store.get(t, 'c1')).toEqual(cohort(t, 'c1'));
    });
  });
}
