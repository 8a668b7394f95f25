import { MemoryRecommendationStore } from '../../src/adapters/memory/recommendation-store.memory';
import { testPseudonymize } from '../support/stores';
import { CACHE_TTL_MS, describeRecommendationStoreContract, ERASURE_RETENTION_MS, MAX_RECORDS, RETENTION_MS } from './recommendation-store.contract';

// One instance is both handles: the fake has no second connection. Tests keep apart by student.
const store = new MemoryRecommendationStore({ cacheTtlMs: CACHE_TTL_MS, retentionMs: RETENTION_MS, maxRecords: MAX_RECORDS, erasureRetentionMs: ERASURE_RETENTION_MS, pseudonymize: testPseudonymize });
describeRecommendationStoreContract('in-memory', () => store);
