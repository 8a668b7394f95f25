import { DaprCurriculumStore } from '../../src/adapters/dapr/curriculum-store.dapr';
import { forEachDaprStore } from '../support/dapr-state';
import { describeCurriculumStoreContract } from './curriculum-store.contract';

forEachDaprStore((kind, dapr) => {
  describeCurriculumStoreContract(
    `dapr state.${kind}`,
    () => new DaprCurriculumStore(dapr().client()),
    () => new DaprCurriculumStore(dapr().client()),
  );
});
