import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { systemClock } from '../../src/adapters/clock/clock.system';
import { DaprMasteryStore, type DaprMasteryStoreOptions } from '../../src/adapters/dapr/mastery-store.dapr';
import { studentDaprKeys } from '../../src/adapters/dapr/keys';
import { DAPR_STORES, startDaprState, type DaprStateUnderTest } from '../support/dapr-state';
import { redisStoreOptions, testPseudonymize } from '../support/stores';
import { applyWire, describeConsentLifetime, describeMasteryStoreContract, freshStudent } from './mastery-store.contract';

const options: DaprMasteryStoreOptions = {
  clock: systemClock,
  stateTtlSeconds: redisStoreOptions.stateTtlSeconds,
  idempotencyRetentionMs: redisStoreOptions.idempotencyRetentionMs,
  erasureRetentionSeconds: redisStoreOptions.erasureRetentionSeconds,
  pseudonymize: testPseudonymize,
};

for (const kind of DAPR_STORES) {
  let dapr: DaprStateUnderTest;
  let stores: [DaprMasteryStore, DaprMasteryStore];
  beforeAll(async () => {
    dapr = await startDaprState(kind);
    stores = [new DaprMasteryStore(dapr.client(), options), new DaprMasteryStore(dapr.client(), options)];
  });
  afterAll(() => dapr.stop());

  describeMasteryStoreContract(`dapr state.${kind}`, () => ({ store: stores[0], peer: stores[1] }));
  describeConsentLifetime(`dapr state.${kind}`, () => ({
    store: new DaprMasteryStore(dapr.client(), { ...options, stateTtlSeconds: 1, idempotencyRetentionMs: 1000 }),
    passStateTtl: () => Bun.sleep(2100),
  }));

  describe(`the dapr mastery store on state.${kind}`, () => {
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
      expect(doc!.value).toMatchObject({ topics: {}, history: {}, events: {} });
      expect(consent).toBeUndefined();
    });
  });
}
