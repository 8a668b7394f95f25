import { MemoryBatchStore } from '../../src/adapters/memory/batch-store.memory';
import { BATCH_OPTIONS, describeBatchStoreContract } from './batch-store.contract';

const store = new MemoryBatchStore({ clock: { now: () => Date.now() }, ...BATCH_OPTIONS });
describeBatchStoreContract('memory', () => store);
