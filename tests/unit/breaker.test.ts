import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { BreakerMasteryStore } from '../../src/adapters/resilience/mastery-store.breaker';
import { StoreUnavailableError, type MasteryStore } from '../../src/ports/mastery-store.port';
import type { SnapshotWriter } from '../../src/ports/snapshot-writer.port';
import { FixedClock } from '../support/fixed-clock';
import { memoryStore } from '../support/stores';
import { describeMasteryStoreContract, CONTRACT_NOW, freshStudent } from '../contract/mastery-store.contract';
import { describeSnapshotWriterContract } from '../contract/snapshot-writer.contract';

/** A real memory store that can be switched to hang or fail, as a sick Redis would. */
class SickStore {
  mode: 'ok' | 'hang' | 'fail' = 'ok';
  calls = 0;
  readonly inner = memoryStore(new FixedClock(CONTRACT_NOW));
  readonly store: MasteryStore & SnapshotWriter = new Proxy(this.inner, {
    get: (target, prop) => {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        this.calls += 1;
        if (this.mode === 'hang') return new Promise(() => {});
        if (this.mode === 'fail') return Promise.reject(new StoreUnavailableError('down'));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const breakers: BreakerMasteryStore[] = [];
afterEach(() => breakers.splice(0).forEach((b) => b.shutdown()));
const wrap = (inner: MasteryStore & SnapshotWriter, timeoutMs = 100, resetMs = 300) => {
  const b = new BreakerMasteryStore(inner, { name: 'test', timeoutMs, resetMs, volumeThreshold: 3 });
  breakers.push(b);
  return b;
};

describeMasteryStoreContract('breaker around the in-memory store', () => ({ store: wrap(new SickStore().store, 2000) }));
// One store for the suite: it writes with one call and checks with another (its `peer`).
const snapshotStore = new BreakerMasteryStore(new SickStore().store, { name: 'test', timeoutMs: 2000, resetMs: 300 });
afterAll(() => snapshotStore.shutdown());
describeSnapshotWriterContract('breaker around the in-memory store', () => snapshotStore);

describe('the circuit breaker around a store', () => {
  test('a hanging store fails after the breaker timeout with StoreUnavailableError', async () => {
    const sick = new SickStore();
    sick.mode = 'hang';
    const store = wrap(sick.store, 100);
    const started = performance.now();
    const err = await store.listTopics(freshStudent()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toContain('timed out');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('opens after repeated failures and then refuses without calling the store', async () => {
    const sick = new SickStore();
    sick.mode = 'fail';
    const store = wrap(sick.store);
    for (let i = 0; i < 5; i++) await store.listTopics(freshStudent()).catch(() => {});
    expect(store.status().state).toBe('open');
    const callsWhenOpened = sick.calls;
    const err = await store.listTopics(freshStudent()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toContain('circuit open');
    expect(sick.calls).toBe(callsWhenOpened);
    expect(store.status().rejects).toBeGreaterThan(0);
  });

  test("a batch's snapshot reads and writes go through the same breaker: a hanging store times them out, an open breaker refuses them without calling it", async () => {
    const sick = new SickStore();
    sick.mode = 'hang';
    const store = wrap(sick.store, 100);
    const read = await store.readStudents([freshStudent()]).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(StoreUnavailableError);
    expect((read as Error).message).toContain('timed out');
    sick.mode = 'fail';
    for (let i = 0; i < 5; i++) await store.listTopics(freshStudent()).catch(() => {});
    expect(store.status().state).toBe('open');
    const callsWhenOpened = sick.calls;
    const write = await store.recordSnapshots(freshStudent(), []).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(StoreUnavailableError);
    expect((write as Error).message).toContain('circuit open');
    expect(sick.calls).toBe(callsWhenOpened);
  });

  test('lets a trial call through after the reset time and closes when it succeeds', async () => {
    const sick = new SickStore();
    sick.mode = 'fail';
    const store = wrap(sick.store, 100, 200);
    const seen: string[] = [];
    store.onStateChange((s) => seen.push(s));
    for (let i = 0; i < 5; i++) await store.listTopics(freshStudent()).catch(() => {});
    sick.mode = 'ok';
    await Bun.sleep(250);
    expect(store.status().state).toBe('half_open');
    expect((await store.listTopics(freshStudent())).size).toBe(0);
    expect(store.status().state).toBe('closed');
    expect(seen).toEqual(['open', 'half_open', 'closed']);
  });

  test('with a recovery probe, an open breaker closes as soon as the store answers, not after the reset time', async () => {
    const sick = new SickStore();
    sick.mode = 'fail';
    let storeAnswers = false;
    const store = new BreakerMasteryStore(sick.store, {
      name: 'test',
      timeoutMs: 100,
      resetMs: 60_000,
      volumeThreshold: 3,
      recovery: { probe: async () => (storeAnswers ? undefined : Promise.reject(new Error('still down'))), everyMs: 20 },
    });
    breakers.push(store);
    for (let i = 0; i < 5; i++) await store.listTopics(freshStudent()).catch(() => {});
    expect(store.status().state).toBe('open');
    await Bun.sleep(100);
    expect(store.status().state).toBe('open');
    sick.mode = 'ok';
    storeAnswers = true;
    await Bun.sleep(100);
    expect(store.status().state).toBe('closed');
    expect((await store.listTopics(freshStudent())).size).toBe(0);
  });

  test('a recovery probe that hangs counts as a failed one: the breaker stays open and asks again', async () => {
    const sick = new SickStore();
    sick.mode = 'fail';
    let probes = 0;
    let hang = true;
    const store = new BreakerMasteryStore(sick.store, {
      name: 'test',
      timeoutMs: 50,
      resetMs: 60_000,
      volumeThreshold: 3,
      recovery: { probe: () => ((probes += 1), hang ? new Promise(() => {}) : Promise.resolve()), everyMs: 10 },
    });
    breakers.push(store);
    for (let i = 0; i < 5; i++) await store.listTopics(freshStudent()).catch(() => {});
    await Bun.sleep(200);
    expect(store.status().state).toBe('open');
    expect(probes).toBeGreaterThan(1);
    hang = false;
    await Bun.sleep(150);
    expect(store.status().state).toBe('closed');
  });
});
