import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { LATEST_VERSION_FIELD, RedisMasteryStore, ttlSeconds } from '../../src/adapters/redis/mastery-store.redis';
import { BreakerMasteryStore } from '../../src/adapters/resilience/mastery-store.breaker';
import { StoreUnavailableError } from '../../src/ports/mastery-store.port';
import { requireService } from '../support/services';
import { studentKeys, studentTag } from '../../src/adapters/redis/keys';
import { redisKeysOf, redisStoreOptions, testPseudonymize } from '../support/stores';
import { applyWire, describeConsentLifetime, describeMasteryStoreContract, freshStudent } from './mastery-store.contract';

const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 1000), createRedisClient(url, 1000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));

const options = redisStoreOptions;
const stores = [new RedisMasteryStore(clients[0], options), new RedisMasteryStore(clients[1], options)] as const;
const breakerOptions = { name: 'contract', timeoutMs: 2000, resetMs: 1000 };
const breakers = [new BreakerMasteryStore(stores[0], breakerOptions), new BreakerMasteryStore(stores[1], breakerOptions)] as const;
afterAll(() => breakers.forEach((b) => b.shutdown()));

describeMasteryStoreContract('redis', () => ({ store: stores[0], peer: stores[1] }));
describeMasteryStoreContract('redis behind the circuit breaker', () => ({ store: breakers[0], peer: breakers[1] }));
// One-second state TTL (and so idempotency retention) to wait out for real.
describeConsentLifetime('redis', () => ({
  store: new RedisMasteryStore(clients[0], { ...options, stateTtlSeconds: 1, idempotencyRetentionMs: 1000 }),
  passStateTtl: () => Bun.sleep(2100),
}));

describe('the redis store', () => {
  test('keeps the students it applied for up to cachedStudents, across tenants, dropping the least recently used: only a dropped student is read again before its commit', async () => {
    const client = createRedisClient(url, 1000);
    await waitUntilReady(client, 5000);
    const store = new RedisMasteryStore(client, { ...options, cachedStudents: 2 });
    const [a, b] = [freshStudent(), freshStudent()];
    const c = freshStudent(a.tenantId);
    const reads = spyOn(client, 'hget');
    let n = 0;
    const readsFor = async (ref: typeof a) => {
      const before = reads.mock.calls.length;
      const outcome = await applyWire(store, ref, { event_id: `cache-${n++}` });
      expect(outcome.kind).toBe('applied');
      return reads.mock.calls.length - before;
    };
    try {
      // a, b kept; a used again; c (a's tenant) drops b, the least recently used, not a.
      expect([await readsFor(a), await readsFor(b), await readsFor(a), await readsFor(c), await readsFor(a)]).toEqual([1, 1, 0, 1, 0]);
      // b comes back (dropping c), then c is read again.
      expect([await readsFor(b), await readsFor(a), await readsFor(c)]).toEqual([1, 0, 1]);
    } finally {
      reads.mockRestore();
      await client.quit();
    }
  });

  test('every key it writes carries a TTL of at most STATE_TTL_DAYS', async () => {
    const ref = freshStudent();
    await applyWire(stores[0], ref, { event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } });
    const keys = await clients[0].keys(redisKeysOf(ref));
    expect(keys.length).toBe(3);
    for (const key of keys) {
      const ttl = await clients[0].ttl(key);
      expect(ttl).toBeGreaterThan(ttlSeconds(90) - 60);
      expect(ttl).toBeLessThanOrEqual(ttlSeconds(90));
    }
  });

  test('deleting a student leaves no key behind', async () => {
    const ref = freshStudent();
    await applyWire(stores[0], ref);
    await stores[0].eraseStudent(ref, Date.now());
    // Only the pseudonymous erasure marker stays, with its own TTL.
    const left = await clients[0].keys(redisKeysOf(ref));
    expect(left.map((k) => k.split(':').at(-1))).toEqual(['erased']);
    expect(await clients[0].ttl(left[0]!)).toBeGreaterThan(0);
  });

  test('history snapshots stored as JSON objects (the layout before numbers in a row) are still read, beside new ones', async () => {
    const ref = freshStudent();
    await applyWire(stores[0], ref, { occurred_at: '2026-01-12T09:00:00Z' });
    const historyKey = (await clients[0].keys(redisKeysOf(ref))).find((k) => k.endsWith(':history'))!;
    const old = { topicId: 'python-basics', day: '2026-01-11', masteryScore: 0.25, components: { completion: 0.5, quiz: 0.1, quality: 0, consistency: 0.071429 }, at: Date.parse('2026-01-11T08:00:00Z') };
    await clients[0].hset(historyKey, 'python-basics|2026-01-11', JSON.stringify(old));
    const history = await stores[1].getHistory(ref);
    expect(history.map((h) => h.day)).toEqual(['2026-01-11', '2026-01-12']);
    expect(history[0]).toEqual(old);
    expect(history[1]!.eventCount).toBe(1);
    expect(await clients[0].hget(historyKey, 'python-basics|2026-01-12')).toStartWith('["python-basics","2026-01-12",');
  });

  test('a topics hash written before the latest version field has a token from its topics, which the next commit replaces', async () => {
    const ref = freshStudent();
    await applyWire(stores[0], ref, { event_id: 'e1', occurred_at: '2026-01-14T10:00:00Z' });
    await applyWire(stores[0], ref, { event_id: 'e2', topic_id: 'functions', occurred_at: '2026-01-14T11:00:00Z' });
    const topicsKey = studentKeys(studentTag(ref.tenantId, testPseudonymize(ref.tenantId, ref.studentId))).topics;
    const latest = await stores[1].evidenceToken(ref);
    expect(latest).toBe((await clients[0].hget(topicsKey, LATEST_VERSION_FIELD))!);
    // As a hash looks that no commit has touched since '~v' was added.
    await clients[0].hdel(topicsKey, LATEST_VERSION_FIELD);
    const legacy = await stores[1].evidenceToken(ref);
    expect(legacy).not.toBe('');
    expect(legacy).not.toBe(latest);
    expect(await stores[0].evidenceToken(ref)).toBe(legacy);
    await applyWire(stores[0], ref, { event_id: 'e3', occurred_at: '2026-01-14T12:00:00Z' });
    const next = await stores[1].evidenceToken(ref);
    expect([latest, legacy]).not.toContain(next);
    expect(next).toBe((await clients[0].hget(topicsKey, LATEST_VERSION_FIELD))!);
  });

  test('a frozen redis fails fast with StoreUnavailableError instead of hanging', async () => {
    const frozen = createRedisClient(url, 200);
    const store = new RedisMasteryStore(frozen, options);
    const admin = createRedisClient(url, 5000);
    try {
      await Promise.all([waitUntilReady(frozen, 5000), waitUntilReady(admin, 5000)]);
      const sleeping = admin.call('DEBUG', 'SLEEP', '1');
      await Bun.sleep(50);
      const started = performance.now();
      const err = await store.getTopic(freshStudent(), 'python-basics').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(900);
      await sleeping;
    } finally {
      await Promise.all([frozen.quit().catch(() => {}), admin.quit()]);
    }
  });

  test('a dead redis answers StoreUnavailableError at once', async () => {
    const dead = createRedisClient('redis://127.0.0.1:1', 200);
    dead.on('error', () => {});
    const err = await new RedisMasteryStore(dead, options).listTopics(freshStudent()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    const batch = await new RedisMasteryStore(dead, options).getConsentMany([freshStudent(), freshStudent()]).catch((e: unknown) => e);
    expect(batch).toBeInstanceOf(StoreUnavailableError);
    dead.disconnect();
  });
});
