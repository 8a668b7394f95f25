import type Redis from 'ioredis';
import type { CurriculumDocument } from '../../domain/mastery/curriculum';
import type { CurriculumStore, CurriculumWrite, StoredCurriculum } from '../../ports/curriculum-store.port';
import replaceScript from './curriculum-replace.lua' with { type: 'text' };
import { guard } from './guard';
import { curriculumKey } from './keys';

type ReplaceFn = (key: string, expected: number, document: string, updatedAt: number, updatedBy: string) => Promise<number>;
type RedisWithScripts = Redis & { curriculumReplace: ReplaceFn };

/**
 * A tenant's curriculum in one hash (version, document, updated_at, updated_by) under the tenant's
 * hash tag: the compare-and-set is one script on one key, and the version replicas poll is one
 * HGET. No TTL: the curriculum is configuration, not personal data, and its version must never
 * restart (a replica holding version 3 would otherwise keep it after a new version 3).
 */
export class RedisCurriculumStore implements CurriculumStore {
  private readonly redis: RedisWithScripts;

  constructor(redis: Redis) {
    redis.defineCommand('curriculumReplace', { numberOfKeys: 1, lua: replaceScript });
    this.redis = redis as RedisWithScripts;
  }

  currentVersion(tenantId: string): Promise<number> {
    return guard(async () => Number((await this.redis.hget(curriculumKey(tenantId), 'version')) ?? 0));
  }

  get(tenantId: string): Promise<StoredCurriculum | undefined> {
    return guard(async () => {
      const h = await this.redis.hgetall(curriculumKey(tenantId));
      if (h.version === undefined || h.document === undefined) return undefined;
      return { version: Number(h.version), document: JSON.parse(h.document) as CurriculumDocument, updatedAt: Number(h.updated_at), updatedBy: h.updated_by ?? '' };
    });
  }

  replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version'>): Promise<CurriculumWrite> {
    return guard(async () => {
      const v = await this.redis.curriculumReplace(curriculumKey(tenantId), expectedVersion, JSON.stringify(entry.document), entry.updatedAt, entry.updatedBy);
      return v > 0 ? { kind: 'stored', version: v } : { kind: 'stale', currentVersion: -v };
    });
  }
}
