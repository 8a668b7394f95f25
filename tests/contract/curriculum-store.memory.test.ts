import { MemoryCurriculumStore } from '../../src/adapters/memory/curriculum-store.memory';
import { describeCurriculumStoreContract } from './curriculum-store.contract';

// One instance is both handles: the fake has no second connection. Tests keep apart by tenant.
const store = new MemoryCurriculumStore();
describeCurriculumStoreContract('in-memory', () => store);
