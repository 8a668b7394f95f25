import { MemoryCohortStore } from '../../src/adapters/memory/cohort-store.memory';
import { testPseudonymize } from '../support/stores';
import { describeCohortStoreContract, ERASURE_RETENTION_MS } from './cohort-store.contract';

// One instance is both handles: the fake has no second connection. Tests keep apart by tenant.
const store = new MemoryCohortStore({ erasureRetentionMs: ERASURE_RETENTION_MS, pseudonymize: testPseudonymize });
describeCohortStoreContract('in-memory', () => store);
