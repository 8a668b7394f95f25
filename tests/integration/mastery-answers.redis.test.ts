import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MemoryAnswerCache } from '../../src/adapters/memory/answer-cache.memory';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import { queryMasteryAnswer } from '../../src/domain/mastery/engine';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import { applyWire, CONTRACT_NOW, freshStudent } from '../contract/mastery-store.contract';
import { testEngine } from '../support/engine';
import { FixedClock } from '../support/fixed-clock';
import { requireService } from '../support/services';
import { redisStoreOptions, testPseudonymize } from '../support/stores';

// Two replicas: each its own Redis connection, store and in-process answers, one Redis.
const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 2000), createRedisClient(url, 2000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));

const clock = new FixedClock(CONTRACT_NOW + DAY_MS);
const replica = (i: number) => {
  const deps = testEngine(new RedisMasteryStore(clients[i]!, redisStoreOptions), clock);
  const answers = new MemoryAnswerCache<string>({ clock, maxEntries: 16, ttlMs: 600_000, pseudonymize: testPseudonymize });
  let rendered = 0;
  const ask = async (ref: StudentRef) => {
    const result = await queryMasteryAnswer(deps, answers, ref, undefined, (m) => {
      rendered++;
      return JSON.stringify(m);
    });
    if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
    return JSON.parse(result.answer) as { topics: { topicId: string; eventCount: number }[] };
  };
  return { deps, ask, rendered: () => rendered };
};
const [a, b] = [replica(0), replica(1)];

describe('mastery answers kept on one replica', () => {
  test('asked again with nothing changed: the kept answer; an event applied through another replica shows in the next one', async () => {
    const ref = freshStudent();
    await applyWire(b.deps.store, ref, { event_id: 'e1', occurred_at: '2026-01-12T10:00:00Z' });
    const first = await a.ask(ref);
    expect(first.topics.map((t) => t.eventCount)).toEqual([1]);
    const rendered = a.rendered();
    expect(await a.ask(ref)).toEqual(first);
    expect(a.rendered()).toBe(rendered);

    await applyWire(b.deps.store, ref, { event_id: 'e2', occurred_at: '2026-01-15T10:00:00Z' });
    const after = await a.ask(ref);
    expect(after.topics.map((t) => t.eventCount)).toEqual([2]);
    expect(a.rendered()).toBe(rendered + 1);
    expect(after).toEqual(await b.ask(ref));
  });

  test('an erasure through another replica leaves this one answering no topics', async () => {
    const ref = freshStudent();
    await applyWire(b.deps.store, ref, { event_id: 'e1', occurred_at: '2026-01-12T10:00:00Z' });
    expect((await a.ask(ref)).topics).toHaveLength(1);
    await b.deps.store.eraseStudent(ref, clock.now());
    expect((await a.ask(ref)).topics).toEqual([]);
  });
});
