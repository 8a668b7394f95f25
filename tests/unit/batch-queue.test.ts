import { describe, expect, test } from 'bun:test';
import { MemoryBatchQueue } from '../../src/adapters/memory/batch-queue.memory';
import type { BatchPriority, Chunk } from '../../src/domain/batch/batch';
import { FixedClock } from '../support/fixed-clock';

const chunks = (priority: BatchPriority, n: number): Chunk[] => Array.from({ length: n }, (_, i) => ({ batchId: priority, tenantId: 't', chunkId: i, priority, studentIds: [`${priority}-${i}`] }));

async function drained(queue: MemoryBatchQueue, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await Bun.sleep(2);
  await queue.stop();
}

describe('the in-process batch queue', () => {
  test('takes high before normal before low, whatever the order they were queued in', async () => {
    const clock = new FixedClock(0);
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const queue = new MemoryBatchQueue(
      async (c) => {
        await gate;
        order.push(c.priority);
      },
      { clock, concurrency: 1, maxWaitMs: 60_000, retryMs: 1 },
    );
    await queue.enqueue(chunks('low', 1)); // taken at once: the only work
    await queue.enqueue([...chunks('low', 2), ...chunks('normal', 2), ...chunks('high', 2)]);
    release();
    await drained(queue, () => order.length === 7);
    expect(order).toEqual(['low', 'high', 'high', 'normal', 'normal', 'low', 'low']);
  });

  test('a low chunk held back longer than maxWaitMs is taken before later high ones', async () => {
    const clock = new FixedClock(0);
    const order: string[] = [];
    const queue = new MemoryBatchQueue(
      async (c) => {
        order.push(c.priority);
        clock.advance(400);
      },
      { clock, concurrency: 1, maxWaitMs: 1000, retryMs: 1 },
    );
    await queue.enqueue([...chunks('high', 10), ...chunks('low', 1)]);
    await drained(queue, () => order.length === 11);
    expect(order.indexOf('low')).toBeLessThan(10);
    expect(order.indexOf('low')).toBeGreaterThan(1);
  });

  test('a chunk whose handler fails is tried again until it succeeds', async () => {
    let attempts = 0;
    const queue = new MemoryBatchQueue(
      async () => {
        attempts++;
        if (attempts < 3) throw new Error('store unavailable');
      },
      { clock: new FixedClock(0), concurrency: 1, maxWaitMs: 1000, retryMs: 1 },
    );
    await queue.enqueue(chunks('normal', 1));
    await drained(queue, () => attempts === 3);
    expect(attempts).toBe(3);
  });
});
