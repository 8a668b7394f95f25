import { expect, test } from 'bun:test';
import { DaprCurriculumStore } from '../../src/adapters/dapr/curriculum-store.dapr';
import { curriculumRevisionDaprKey } from '../../src/adapters/dapr/keys';
import { StoreUnavailableError } from '../../src/ports/mastery-store.port';
import { forEachDaprStore } from '../support/dapr-state';
import { uniqueId } from '../support/services';
import { describeCurriculumStoreContract } from './curriculum-store.contract';

forEachDaprStore((kind, dapr) => {
  describeCurriculumStoreContract(
    `dapr state.${kind}`,
    () => new DaprCurriculumStore(dapr().client()),
    () => new DaprCurriculumStore(dapr().client()),
  );

  test(`dapr state.${kind}: a revision naming a curriculum that is gone (a damaged store) fails with StoreUnavailableError instead of reading again forever`, async () => {
    const state = dapr().client();
    const tenantId = uniqueId('t');
    await state.save(curriculumRevisionDaprKey(tenantId), { version: 1, revision: 'never-written' });
    await expect(new DaprCurriculumStore(state).get(tenantId)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
