import { expect, test } from 'bun:test';
import type { RunningDaprd } from '../support/daprd';
import { startDaprState } from '../support/dapr-state';

test('when a second sidecar fails to start, the first is stopped, not left running past the tests', async () => {
  const stopped: number[] = [];
  let started = 0;
  const start = async (): Promise<RunningDaprd> => {
    const n = ++started;
    if (n === 2) throw new Error('daprd exited with 1 at start');
    return { url: `http://127.0.0.1:${n}`, logs: [], stop: async () => void stopped.push(n) } as unknown as RunningDaprd;
  };
  await expect(startDaprState('redis', start)).rejects.toThrow('daprd exited with 1 at start');
  expect(started).toBe(2);
  expect(stopped).toEqual([1]);
});
