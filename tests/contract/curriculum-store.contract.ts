import { describe, expect, test } from 'bun:test';
import { CachedCurriculumSource } from '../../src/adapters/memory/curriculum-source.cached';
import type { CurriculumDocument } from '../../src/domain/mastery/curriculum';
import type { CurriculumStore } from '../../src/ports/curriculum-store.port';
import { shippedCurriculum } from '../support/curriculum';
import { uniqueId } from '../support/services';

const doc = (lessons: string[]): CurriculumDocument => ({ topics: [{ topic_id: 'alpha', title: 'Alpha', lessons, prerequisites: [] }] });
const entry = (lessons: string[]) => ({ document: doc(lessons), updatedAt: 1_000, updatedBy: 'admin:a' });

/**
 * The behaviour every CurriculumStore must have, and the cached source built on it: run against
 * the in-memory fake and Redis. `peer` is a second handle on the same data (another connection).
 */
export function describeCurriculumStoreContract(name: string, setup: () => CurriculumStore, peer: () => CurriculumStore = setup) {
  describe(`CurriculumStore contract: ${name}`, () => {
    test('a tenant that never stored one has version 0 and nothing to read', async () => {
      const store = setup();
      const t = uniqueId('t');
      expect(await store.currentRevision(t)).toBeUndefined();
      expect(await store.get(t)).toBeUndefined();
    });

    test('replace from the expected version stores the next one, readable from another connection', async () => {
      const [a, b] = [setup(), peer()];
      const t = uniqueId('t');
      const first = await a.replace(t, 0, entry(['l1']));
      expect(first).toEqual({ kind: 'stored', version: 1, revision: expect.any(String) });
      const revision = (first as { revision: string }).revision;
      expect(await b.currentRevision(t)).toEqual({ version: 1, revision });
      expect(await b.get(t)).toEqual({ version: 1, revision, ...entry(['l1']) });
      const second = await b.replace(t, 1, entry(['l1', 'l2']));
      expect(second).toMatchObject({ kind: 'stored', version: 2 });
      expect((second as { revision: string }).revision).not.toBe(revision);
      expect((await a.get(t))?.document).toEqual(doc(['l1', 'l2']));
    });

    test('a stale expected version writes nothing and names the current one', async () => {
      const store = setup();
      const t = uniqueId('t');
      await store.replace(t, 0, entry(['l1']));
      expect(await store.replace(t, 0, entry(['other']))).toEqual({ kind: 'stale', currentVersion: 1 });
      expect(await store.replace(t, 7, entry(['other']))).toEqual({ kind: 'stale', currentVersion: 1 });
      expect((await store.get(t))?.document).toEqual(doc(['l1']));
    });

    test('of two writers on separate connections expecting the same version, exactly one wins', async () => {
      const t = uniqueId('t');
      const outcomes = await Promise.all([setup().replace(t, 0, entry(['a'])), peer().replace(t, 0, entry(['b'])), setup().replace(t, 0, entry(['c']))]);
      expect(outcomes.filter((o) => o.kind === 'stored')).toEqual([{ kind: 'stored', version: 1, revision: expect.any(String) }]);
      expect(outcomes.filter((o) => o.kind === 'stale')).toHaveLength(2);
    });

    test('tenants are apart', async () => {
      const store = setup();
      const [t, u] = [uniqueId('t'), uniqueId('t')];
      await store.replace(t, 0, entry(['l1']));
      expect(await store.currentRevision(u)).toBeUndefined();
    });

    test('what get returns is a copy', async () => {
      const store = setup();
      const t = uniqueId('t');
      await store.replace(t, 0, entry(['l1']));
      (await store.get(t))!.document.topics[0]!.lessons.push('changed');
      expect((await store.get(t))?.document).toEqual(doc(['l1']));
    });

    test("a replica's cached copy follows another replica's write within the refresh time, and its own at once", async () => {
      let now = 0;
      const clock = { now: () => now };
      const t = uniqueId('t');
      const replicaA = new CachedCurriculumSource({ store: setup(), clock, shipped: shippedCurriculum, refreshMs: 1000 });
      const replicaB = new CachedCurriculumSource({ store: peer(), clock, shipped: shippedCurriculum, refreshMs: 1000 });
      expect((await replicaB.forTenant(t)).version).toBe(0);
      expect((await replicaB.forTenant(t)).curriculum).toBe(shippedCurriculum);
      await setup().replace(t, 0, entry(['l1']));
      replicaA.changed(t);
      expect((await replicaA.forTenant(t)).curriculum.topics.has('alpha')).toBe(true);
      now = 999;
      expect((await replicaB.forTenant(t)).version).toBe(0);
      now = 1000;
      const seen = await replicaB.forTenant(t);
      expect(seen.version).toBe(1);
      expect(seen.curriculum.hasLesson('alpha', 'l1')).toBe(true);
    });
  });
}
