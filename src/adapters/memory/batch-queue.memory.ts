import { prioritySchedule, type BatchPriority, type Chunk } from '../../domain/batch/batch';
import type { BatchQueue } from '../../ports/batch-queue.port';
import type { Clock } from '../../ports/clock.port';

export interface MemoryBatchQueueOptions {
  clock: Clock;
  /** Chunks processed at once. */
  concurrency: number;
  /** BATCH_MAX_WAIT_MS: the starvation bound of the priority rule. */
  maxWaitMs: number;
  /** Pause before a failed chunk is tried again. */
  retryMs: number;
  /** Called with the number of chunks waiting per priority whenever it changes (a gauge). */
  onWaiting?: (counts: Record<BatchPriority, number>) => void;
}

/**
 * The in-process queue used without Kafka: one process does all the work, so the queue lives in
 * its memory and is lost with it (a restart loses queued chunks; their batches stay unfinished and
 * expire). Chunks are taken by the same priority rule as the Kafka consumer (prioritySchedule). A chunk whose
 * handler rejects goes back to the front of its queue after `retryMs`.
 */
export class MemoryBatchQueue implements BatchQueue {
  private readonly queues: Record<BatchPriority, Chunk[]> = { high: [], normal: [], low: [] };
  private heldSince: Partial<Record<BatchPriority, number>> = {};
  private running = 0;
  private stopped = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly handle: (chunk: Chunk) => Promise<void>,
    private readonly opts: MemoryBatchQueueOptions,
  ) {}

  async enqueue(chunks: readonly Chunk[]): Promise<void> {
    for (const chunk of chunks) this.queues[chunk.priority].push(chunk);
    this.changed();
    this.pump();
  }

  /** The next chunk by the priority rule, taken off its queue. */
  private take(): Chunk | undefined {
    const now = this.opts.clock.now();
    const waiting = { high: this.queues.high.length > 0, normal: this.queues.normal.length > 0, low: this.queues.low.length > 0 };
    const schedule = prioritySchedule(waiting, this.heldSince, now, this.opts.maxWaitMs);
    this.heldSince = schedule.heldSince;
    const candidates = schedule.serve.filter((p) => waiting[p]);
    if (candidates.length === 0) return undefined;
    // A priority served past the starvation bound goes first (it is served because it waited);
    // otherwise the highest. Taken: its clock starts again.
    const next = candidates.find((p) => this.heldSince[p] !== undefined) ?? candidates[0]!;
    delete this.heldSince[next];
    return this.queues[next].shift();
  }

  private pump(): void {
    while (!this.stopped && this.running < this.opts.concurrency) {
      const chunk = this.take();
      if (!chunk) break;
      this.running++;
      this.changed();
      void this.handle(chunk)
        .catch(async () => {
          await Bun.sleep(this.opts.retryMs);
          this.queues[chunk.priority].unshift(chunk);
        })
        .finally(() => {
          this.running--;
          this.changed();
          this.pump();
          if (this.running === 0) for (const resolve of this.idle) resolve();
        });
    }
  }

  private changed(): void {
    this.opts.onWaiting?.({ high: this.queues.high.length, normal: this.queues.normal.length, low: this.queues.low.length });
  }

  /** Stops taking chunks and waits for those running; queued ones are dropped (see the class note). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
  }
}
