import { DaprRecommendationStore } from '../../src/adapters/dapr/recommendation-store.dapr';
import { forEachDaprStore } from '../support/dapr-state';
import { testPseudonymize } from '../support/stores';
import { CACHE_TTL_MS, describeRecommendationStoreContract, ERASURE_RETENTION_MS, MAX_RECORDS, RETENTION_MS } from './recommendation-store.contract';

const options = { cacheTtlMs: CACHE_TTL_MS, retentionMs: RETENTION_MS, maxRecords: MAX_RECORDS, erasureRetentionSeconds: ERASURE_RETENTION_MS / 1000, pseudonymize: testPseudonymize };

forEachDaprStore((kind, dapr) => {
  describeRecommendationStoreContract(
    `dapr state.${kind}`,
    () => new DaprRecommendationStore(dapr().client(), options),
    () => new DaprRecommendationStore(dapr().client(), options),
  );
});
