import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { DaprMasteryStore } from '../../src/adapters/dapr/mastery-store.dapr';
import { studentDaprKeys } from '../../src/adapters/dapr/keys';
import { DAPR_STORES, startDaprState, type DaprStateUnderTest } from '../support/dapr-state';
import { daprStoreOptions, testPseudonymize } from '../support/stores';
import { applyWire, describeConsentLifetime, describeMasteryStoreContract, freshStudent } from './mastery-store.contract';

for (const kind of DAPR_STORES) {
  let dapr: DaprStateUnderTest;
  let stores: [DaprMasteryStore, DaprMasteryStore];
  beforeAll(async () => {
    dapr = await startDaprState(kind);
    stores = [new DaprMasteryStore(dapr.client(), daprStoreOptions), new DaprMasteryStore(dapr.client(), daprStoreOptions)];
  });
  afterAll(() => dapr.stop(), 30_000);

  describeMasteryStoreContract(`dapr state.${kind}`, () => ({ store: stores[0], peer: stores[1] }));
  // Sealing after every second snapshot: the whole contract again with history in month documents.
  let sealing: [DaprMasteryStore, DaprMasteryStore];
  beforeAll(() => {
    sealing = [new DaprMasteryStore(dapr.client(), { ...daprStoreOptions, sealAbove: 1 }), new DaprMasteryStore(dapr.client(), { ...daprStoreOptions, sealAbove: 1 })];
  });
  describeMasteryStoreContract(`dapr state.${kind}, history sealed into month documents`, () => ({ store: sealing[0], peer: sealing[1] }));
  describeConsentLifetime(`dapr state.${kind}`, () => ({
    store: new DaprMasteryStore(dapr.client(), { ...daprStoreOptions, stateTtlSeconds: 1, idempotencyRetentionMs: 1000 }),
    passStateTtl: () => Bun.sleep(2100),
  }));

  describe(`the dapr mastery store on state.${kind}`, () => {
    test('history past the seal moves to month documents that the student document names, and erasure tombstones them', async () => {
      const store = new DaprMasteryStore(dapr.client(), { ...daprStoreOptions, sealAbove: 3 });
      const ref = freshStudent();
      const days = ['2025-11-28', '2025-12-03', '2025-12-20', '2026-01-05', '2026-01-14'];
      for (const [i, day] of days.entries()) await applyWire(store, ref, { event_id: `e${i}`, occurred_at: `${day}T10:00:00Z`, data: { quiz_id: 'q', score: 0.5 } });
      const keys = studentDaprKeys(ref.tenantId, testPseudonymize(ref.tenantId, ref.studentId));
      const client = dapr.client();
      const doc = (await client.get<{ history: Record<string, unknown>; months: string[] }>(keys.doc))!.value;
      expect(doc.months).toEqual(['2025-11', '2025-12']);
      expect(Object.keys(doc.history).length).toBeLessThanOrEqual(3);
      expect(Object.keys((await client.get<{ snapshots: object }>(keys.historyMonth('2025-12')))!.value.snapshots).sort()).toEqual(['python-basics|2025-12-03', 'python-basics|2025-12-20']);
      expect((await store.getHistory(ref)).map((h) => h.day)).toEqual(days);
      expect((await store.getHistory({ ...ref, fromDay: '2025-12-10', toDay: '2026-01-05' })).map((h) => h.day)).toEqual(['2025-12-20', '2026-01-05']);
      await store.eraseStudent(ref, Date.now());
      for (const month of ['2025-11', '2025-12']) expect(Object.keys((await client.get<object>(keys.historyMonth(month)))!.value)).toEqual(['erasedBy']);
      expect(await store.getHistory(ref)).toEqual([]);
    });

    test('an erasure leaves only the pseudonymous erasure record, and no key names the student', async () => {
      const ref = freshStudent();
      await applyWire(stores[0], ref);
      await stores[0].setConsent(ref, { analytics: true, updatedAt: Date.now() });
      await stores[1].eraseStudent(ref, Date.now());
      const keys = studentDaprKeys(ref.tenantId, testPseudonymize(ref.tenantId, ref.studentId));
      expect(keys.doc).not.toContain(ref.studentId);
      const client = dapr.client();
      const [doc, consent] = await client.getMany<Record<string, unknown>>([keys.doc, keys.consent]);
      expect(Object.keys(doc!.value).sort()).toEqual(['erasure', 'events', 'history', 'topics']);
      expect(JSON.stringify(doc!.value)).not.toContain('python-basics');
      expect(doc!.value).toMatchObject({ topics: {}, history: {}, events: {} });
      expect(consent).toBeUndefined();
    });
  });
}
