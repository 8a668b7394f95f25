import type { Chunk } from '../domain/batch/batch';

/**
 * Where chunks wait to be processed. Promises: `enqueue` resolves once every chunk is durably
 * accepted, and rejects with StoreUnavailableError when the queue's backend cannot take them (any
 * subset may be queued then; enqueueing again is harmless, chunks are counted once); every chunk is handed to a worker at least once, until one finishes it without
 * throwing; higher priorities are served first by the rule of prioritySchedule (domain/batch).
 */
export interface BatchQueue {
  enqueue(chunks: readonly Chunk[]): Promise<void>;
}
