import { DaprCohortStore } from '../../src/adapters/dapr/cohort-store.dapr';
import { forEachDaprStore } from '../support/dapr-state';
import { testPseudonymize } from '../support/stores';
import { describeCohortStoreContract, ERASURE_RETENTION_MS } from './cohort-store.contract';

const options = { ttlSeconds: 3600, erasureRetentionSeconds: ERASURE_RETENTION_MS / 1000, pseudonymize: testPseudonymize };

forEachDaprStore((kind, dapr) => {
  describeCohortStoreContract(
    `dapr state.${kind}`,
    () => new DaprCohortStore(dapr().client(), options),
    () => new DaprCohortStore(dapr().client(), options),
  );
});
