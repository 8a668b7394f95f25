import type Redis from 'ioredis';
import type { Cohort } from '../../domain/cohort';
import type { CohortStore } from '../../ports/cohort-store.port';
import { cohortsKey } from './keys';
import { guard } from './guard';

/**
 * Cohorts of a tenant in one hash (cohort id -> JSON): a teacher's access check reads the roster
 * in one command. Rosters name students, so the hash carries a TTL like all personal data; it is
 * renewed on every write (COHORT_TTL_DAYS).
 */
export class RedisCohortStore implements CohortStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  put(cohort: Cohort): Promise<void> {
    return guard(async () => {
      const key = cohortsKey(cohort.tenantId);
      await this.redis.multi().hset(key, cohort.cohortId, JSON.stringify(cohort)).expire(key, this.ttlSeconds).exec();
    });
  }

  get(tenantId: string, cohortId: string): Promise<Cohort | undefined> {
    return guard(async () => {
      const raw = await this.redis.hget(cohortsKey(tenantId), cohortId);
      return raw === null ? undefined : (JSON.parse(raw) as Cohort);
    });
  }

  list(tenantId: string): Promise<Cohort[]> {
    return guard(async () => {
      const all = await this.redis.hgetall(cohortsKey(tenantId));
      return Object.values(all)
        .map((raw) => JSON.parse(raw) as Cohort)
        .sort((a, b) => a.cohortId.localeCompare(b.cohortId));
    });
  }
}
