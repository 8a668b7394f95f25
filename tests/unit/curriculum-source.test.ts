import { describe, expect, test } from 'bun:test';
import { CachedCurriculumSource } from '../../src/adapters/memory/curriculum-source.cached';
import { MemoryCurriculumStore } from '../../src/adapters/memory/curriculum-store.memory';
import type { CurriculumRevision } from '../../src/ports/curriculum-store.port';
import { shippedCurriculum } from '../support/curriculum';

const doc = (lesson: string) => ({ document: { topics: [{ topic_id: 'a', title: 'A', lessons: [lesson], prerequisites: [] }] }, updatedAt: 1, updatedBy: 'admin:a' });

/** The memory store, with revision reads that wait until released and are counted: to see what the cache asks, and when. */
class GatedStore extends MemoryCurriculumStore {
  reads = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open();
  }
  override async currentRevision(tenantId: string): Promise<CurriculumRevision | undefined> {
    this.reads++;
    const answer = await super.currentRevision(tenantId);
    await this.gate;
    return answer;
  }
}

describe('a replica’s cached curricula', () => {
  test('concurrent asks for a tenant share one read, and answers within the refresh time read nothing', async () => {
    const store = new GatedStore();
    let now = 0;
    const source = new CachedCurriculumSource({ store, clock: { now: () => now }, shipped: shippedCurriculum, refreshMs: 1000 });
    const answers = await Promise.all([source.forTenant('t'), source.forTenant('t'), source.forTenant('t')]);
    expect(store.reads).toBe(1);
    expect(answers.every((a) => a.version === 0 && a.curriculum === shippedCurriculum)).toBe(true);
    now = 999;
    await source.forTenant('t');
    expect(store.reads).toBe(1);
  });

  test('a refresh overtaken by this replica’s own write does not bring the old curriculum back', async () => {
    const store = new GatedStore();
    const source = new CachedCurriculumSource({ store, clock: { now: () => 0 }, shipped: shippedCurriculum, refreshMs: 1000 });
    store.hold();
    const slow = source.forTenant('t'); // reads "no curriculum", then waits
    await Bun.sleep(1);
    await store.replace('t', 0, doc('new'));
    source.changed('t');
    store.release();
    expect((await slow).version).toBe(0);
    const after = await source.forTenant('t');
    expect(after.version).toBe(1);
    expect(after.curriculum.hasLesson('a', 'new')).toBe(true);
  });

  test('an unchanged revision keeps the parsed curriculum; a new one is parsed once', async () => {
    const store = new MemoryCurriculumStore();
    let now = 0;
    const source = new CachedCurriculumSource({ store, clock: { now: () => now }, shipped: shippedCurriculum, refreshMs: 1000 });
    await store.replace('t', 0, doc('one'));
    const first = await source.forTenant('t');
    now = 5000;
    expect((await source.forTenant('t')).curriculum).toBe(first.curriculum);
    await store.replace('t', 1, doc('two'));
    now = 10_000;
    expect((await source.forTenant('t')).curriculum.hasLesson('a', 'two')).toBe(true);
  });
});
