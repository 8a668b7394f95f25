import type { RedisClient } from './client';
import type { Cohort } from '../../domain/access/cohort';
import type { CohortStore, RosterWrite } from '../../ports/cohort-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import putScript from './cohort-put.lua' with { type: 'text' };
import removeScript from './cohort-remove.lua' with { type: 'text' };
import { guard } from './guard';
import { cohortErasedKey, cohortMembersPrefix, cohortsKey } from './keys';

export interface RedisCohortStoreOptions {
  /** Rosters name students, so they expire like all personal data (COHORT_TTL_DAYS), renewed on every write. */
  ttlSeconds: number;
  /** How long an erased student may not be put back on a roster (ERASURE_RETENTION_DAYS). */
  erasureRetentionSeconds: number;
  pseudonymize: Pseudonymizer;
}

type PutFn = (cohorts: string, members: string, erased: string, ...args: (string | number)[]) => Promise<string[]>;
type RemoveFn = (numberOfKeys: number, ...keysThenArgs: (string | number)[]) => Promise<number>;
type RedisWithScripts = RedisClient & { cohortPut: PutFn; cohortRemove: RemoveFn };

/** Rounds of list-then-remove before giving up on a tenant whose cohorts keep being created. */
const MAX_REMOVE_ROUNDS = 20;

interface CohortMeta {
  name: string;
  teacherIds: string[];
}

/**
 * Cohorts of a tenant: names and teachers in one hash, each roster in a set of its own. A roster
 * changes by SADD/SREM inside Lua scripts, never by writing back a list read earlier, so two
 * erasures in one cohort, or an erasure and an admin's PUT, cannot undo each other.
 */
export class RedisCohortStore implements CohortStore {
  private readonly redis: RedisWithScripts;

  constructor(
    redis: RedisClient,
    private readonly opts: RedisCohortStoreOptions,
  ) {
    redis.defineCommand('cohortPut', { numberOfKeys: 3, lua: putScript });
    redis.defineCommand('cohortRemove', { lua: removeScript });
    this.redis = redis as RedisWithScripts;
  }

  put(cohort: Cohort, now: number): Promise<RosterWrite> {
    return guard(async () => {
      const t = cohort.tenantId;
      const meta: CohortMeta = { name: cohort.name, teacherIds: cohort.teacherIds };
      const members = [...new Set(cohort.studentIds)].flatMap((s) => [s, this.opts.pseudonymize(t, s)]);
      const cutoff = now - this.opts.erasureRetentionSeconds * 1000;
      const erased = await this.redis.cohortPut(cohortsKey(t), cohortMembersPrefix(t) + cohort.cohortId, cohortErasedKey(t), cohort.cohortId, JSON.stringify(meta), this.opts.ttlSeconds, cutoff, ...members);
      return erased.length > 0 ? { kind: 'erased_members', studentIds: erased.sort() } : { kind: 'written' };
    });
  }

  removeStudent(tenantId: string, studentId: string, at: number): Promise<void> {
    return guard(async () => {
      const pseudonym = this.opts.pseudonymize(tenantId, studentId);
      const prefix = cohortMembersPrefix(tenantId);
      // Cohorts are created far more rarely than this runs, so a retry or two is the worst case.
      for (let round = 0; round < MAX_REMOVE_ROUNDS; round++) {
        const rosters = (await this.redis.hkeys(cohortsKey(tenantId))).map((id) => prefix + id);
        const keys = [cohortsKey(tenantId), cohortErasedKey(tenantId), ...rosters];
        if ((await this.redis.cohortRemove(keys.length, ...keys, prefix, studentId, pseudonym, at, this.opts.erasureRetentionSeconds)) === 1) return;
      }
      throw new Error(`cohorts of the tenant kept changing under ${MAX_REMOVE_ROUNDS} attempts`);
    });
  }

  get(tenantId: string, cohortId: string): Promise<Cohort | undefined> {
    return guard(async () => {
      const [raw, members] = await Promise.all([this.redis.hget(cohortsKey(tenantId), cohortId), this.redis.smembers(cohortMembersPrefix(tenantId) + cohortId)]);
      return raw === null ? undefined : toCohort(tenantId, cohortId, raw, members);
    });
  }

  list(tenantId: string): Promise<Cohort[]> {
    return guard(async () => {
      const all = Object.entries(await this.redis.hgetall(cohortsKey(tenantId))).sort(([a], [b]) => a.localeCompare(b));
      const pipeline = this.redis.pipeline();
      for (const [id] of all) pipeline.smembers(cohortMembersPrefix(tenantId) + id);
      const members = (await pipeline.exec()) ?? [];
      return all.map(([id, raw], i) => {
        const [err, ids] = members[i] ?? [new Error('missing reply'), null];
        if (err) throw err;
        return toCohort(tenantId, id, raw, ids as string[]);
      });
    });
  }
}

function toCohort(tenantId: string, cohortId: string, raw: string, members: string[]): Cohort {
  const meta = JSON.parse(raw) as CohortMeta;
  return { tenantId, cohortId, name: meta.name, teacherIds: meta.teacherIds, studentIds: members.sort() };
}
