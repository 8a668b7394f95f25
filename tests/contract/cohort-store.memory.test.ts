import { MemoryCohortStore } from '../../src/adapters/memory/cohort-store.memory';
import { describeCohortStoreContract } from './cohort-store.contract';

describeCohortStoreContract('in-memory', () => new MemoryCohortStore());
