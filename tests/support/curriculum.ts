import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CachedCurriculumSource } from '../../src/adapters/memory/curriculum-source.cached';
import { MemoryCurriculumStore } from '../../src/adapters/memory/curriculum-store.memory';
import type { RedisClient } from '../../src/adapters/redis/client';
import { RedisCurriculumStore } from '../../src/adapters/redis/curriculum-store.redis';
import { curriculumKey } from '../../src/adapters/redis/keys';
import { parseCurriculum, type Curriculum } from '../../src/domain/mastery/curriculum';
import type { CurriculumStore } from '../../src/ports/curriculum-store.port';

/** The curriculum the service ships (data/curriculum.json), for tests and benches. */
export const shippedCurriculum: Curriculum = (() => {
  const r = parseCurriculum(JSON.parse(readFileSync(join(import.meta.dir, '..', '..', 'data', 'curriculum.json'), 'utf8')));
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.curriculum;
})();

/** Every tenant's curriculum as the service wires it: the shipped file until a tenant stores its own. */
export const shippedCurricula = (store: CurriculumStore = new MemoryCurriculumStore()) =>
  new CachedCurriculumSource({ store, clock: { now: () => Date.now() }, shipped: shippedCurriculum, refreshMs: 1000 });

/**
 * Real Redis curriculum stores that note the tenants they wrote: curricula have no TTL, so a suite
 * on a shared server (single node or cluster) removes its own with `removeWritten`.
 */
export function cleanedUpCurriculumStores() {
  const written = new Set<string>();
  class CleanedUpStore extends RedisCurriculumStore {
    override replace(...args: Parameters<RedisCurriculumStore['replace']>) {
      written.add(args[0]);
      return super.replace(...args);
    }
  }
  return {
    store: (redis: RedisClient): CurriculumStore => new CleanedUpStore(redis),
    // One DEL per key: a cluster refuses a DEL of keys in different slots.
    removeWritten: (redis: RedisClient) => Promise.all([...written].map((t) => redis.del(curriculumKey(t)))),
  };
}
