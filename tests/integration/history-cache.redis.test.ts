import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MemoryAnswerCache } from '../../src/adapters/memory/answer-cache.memory';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import { queryHistory, type HistoryDeps, type HistoryRequest } from '../../src/domain/analytics/history';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import { applyWire, CONTRACT_NOW, freshStudent } from '../contract/mastery-store.contract';
import { testEngine } from '../support/engine';
import { FixedClock } from '../support/fixed-clock';
import { requireService } from '../support/services';
import { redisStoreOptions, testPseudonymize } from '../support/stores';

// Two replicas: each its own Redis connection, store and in-process history cache, one Redis.
const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 2000), createRedisClient(url, 2000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));

const clock = new FixedClock(CONTRACT_NOW + DAY_MS);
const replica = (i: number): HistoryDeps => ({
  ...testEngine(new RedisMasteryStore(clients[i]!, redisStoreOptions), clock),
  historyCache: new MemoryAnswerCache({ clock, maxEntries: 16, ttlMs: 600_000, pseudonymize: testPseudonymize }),
});
const [a, b] = [replica(0), replica(1)];
const req: HistoryRequest = { from: '2026-01-10', to: '2026-01-20', granularity: 'daily' };

async function eventsPerDay(deps: HistoryDeps, ref: ReturnType<typeof freshStudent>): Promise<number[]> {
  const result = await queryHistory(deps, ref, req);
  if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
  return result.history.points.map((p) => p.events);
}

describe('history answers cached on one replica', () => {
  test('an event applied through another replica shows in the next answer', async () => {
    const ref = freshStudent();
    await applyWire(b.store, ref, { event_id: 'e1', occurred_at: '2026-01-12T10:00:00Z' });
    const before = await eventsPerDay(a, ref);
    expect(before[2]).toBe(1);
    // The same question again is the cached answer, equal to a fresh one.
    expect(await eventsPerDay(a, ref)).toEqual(before);
    await applyWire(b.store, ref, { event_id: 'e2', occurred_at: '2026-01-15T10:00:00Z' });
    const after = await eventsPerDay(a, ref);
    expect(after[5]).toBe(1);
    expect(after).toEqual(await eventsPerDay(b, ref));
  });

  test('an erasure through another replica leaves this one answering an empty history', async () => {
    const ref = freshStudent();
    await applyWire(b.store, ref, { event_id: 'e1', occurred_at: '2026-01-12T10:00:00Z' });
    expect((await eventsPerDay(a, ref)).reduce((x, y) => x + y, 0)).toBe(1);
    await b.store.eraseStudent(ref, clock.now());
    expect((await eventsPerDay(a, ref)).reduce((x, y) => x + y, 0)).toBe(0);
  });
});
