import type Redis from 'ioredis';
import { createPseudonymizer } from '../../src/adapters/crypto/hashing';
import { MemoryMasteryStore } from '../../src/adapters/memory/mastery-store.memory';
import { studentKeyPattern, studentTag } from '../../src/adapters/redis/keys';
import { ttlSeconds, type RedisStoreOptions } from '../../src/adapters/redis/mastery-store.redis';
import { DAY_MS } from '../../src/domain/mastery/topic-state';
import type { Clock } from '../../src/ports/clock.port';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import { systemClock } from '../../src/adapters/clock/clock.system';
import type { DaprMasteryStoreOptions } from '../../src/adapters/dapr/mastery-store.dapr';

/** The settings every test store shares: 90-day state, 7-day idempotency, 30-day erasure memory. */
export const testPseudonymize = createPseudonymizer('test-pseudonym-key-with-at-least-32-bytes');

export const memoryStore = (clock: Clock) =>
  new MemoryMasteryStore({ clock, stateTtlMs: 90 * DAY_MS, idempotencyRetentionMs: 7 * DAY_MS, erasureRetentionMs: 30 * DAY_MS, pseudonymize: testPseudonymize });

export const redisStoreOptions: RedisStoreOptions = {
  stateTtlSeconds: ttlSeconds(90),
  idempotencyRetentionMs: 7 * DAY_MS,
  erasureRetentionSeconds: ttlSeconds(30),
  pseudonymize: testPseudonymize,
};

/** The same settings for the Dapr mastery store, on the system clock (daprd's TTLs run on real time). */
export const daprStoreOptions: DaprMasteryStoreOptions = {
  clock: systemClock,
  stateTtlSeconds: redisStoreOptions.stateTtlSeconds,
  idempotencyRetentionMs: redisStoreOptions.idempotencyRetentionMs,
  erasureRetentionSeconds: redisStoreOptions.erasureRetentionSeconds,
  pseudonymize: testPseudonymize,
};

/** The Redis key pattern of one student's keys, as the store names them. */
export const redisKeysOf = (ref: StudentRef): string => studentKeyPattern(studentTag(ref.tenantId, testPseudonymize(ref.tenantId, ref.studentId)));

/** Every key matching `pattern`, by SCAN (never KEYS), as an operator would look. */
export async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
