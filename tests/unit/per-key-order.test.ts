import { describe, expect, test } from 'bun:test';
import { inOrderPerKey } from '../../src/adapters/ingest/per-key-order';

describe('running in order per key', () => {
  test('one key runs in index order while other keys run alongside, within the concurrency', async () => {
    const keys = ['a', 'b', 'a', 'c', 'b', 'a'];
    const log: number[] = [];
    let active = 0;
    let peak = 0;
    await inOrderPerKey(keys, 2, async (i) => {
      active += 1;
      peak = Math.max(peak, active);
      await Bun.sleep(5 - (i % 3));
      log.push(i);
      active -= 1;
      return true;
    });
    expect(log.filter((i) => keys[i] === 'a')).toEqual([0, 2, 5]);
    expect(log.filter((i) => keys[i] === 'b')).toEqual([1, 4]);
    expect(log.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  test('a run answering false stops its key, not the others', async () => {
    const ran: number[] = [];
    await inOrderPerKey(['a', 'b', 'a', 'b'], 4, async (i) => {
      ran.push(i);
      return i !== 0;
    });
    expect(ran.sort()).toEqual([0, 1, 3]);
  });
});
