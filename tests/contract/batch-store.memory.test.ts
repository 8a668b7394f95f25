import { MemoryBatchStore } from '../../src/adapters/memory/batch-store.memory';
import { BATCH_TTL_MS, describeBatchStoreContract } from './batch-store.contract';

const store = new MemoryBatchStore({ clock: { now: () => Date.now() }, ttlMs: BATCH_TTL_MS });
describeBatchStoreContract('memory', () => store);
