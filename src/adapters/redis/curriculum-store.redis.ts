import type Redis from 'ioredis';
import type { CurriculumDocument } from '../../domain/mastery/curriculum';
import type { CurriculumRevision, CurriculumStore, CurriculumWrite, StoredCurriculum } from '../../ports/curriculum-store.port';
import replaceScript from './curriculum-replace.lua' with { type: 'text' };
import { guard } from './guard';
import { curriculumKey } from './keys';

type ReplaceFn = (key: string, expected: number, document: string, updatedAt: number, updatedBy: string, revision: string) => Promise<number>;
type RedisWithScripts = Redis & { curriculumReplace: ReplaceFn };

/**
 * A tenant's curriculum in one hash (version, revision, document, updated_at, updated_by) under the
 * tenant's hash tag: the compare-and-set is one script on one key, and the revision replicas poll
 * is one HMGET. No TTL: the curriculum is configuration, not personal data, and a tenant's edits
 * must not silently fall back to the shipped file.
 */
export class RedisCurriculumStore implements CurriculumStore {
  private readonly redis: RedisWithScripts;

  constructor(redis: Redis) {
    redis.defineCommand('curriculumReplace', { numberOfKeys: 1, lua: replaceScript });
    this.redis = redis as RedisWithScripts;
  }

  currentRevision(tenantId: string): Promise<CurriculumRevision | undefined> {
    return guard(async () => {
      const [version, revision] = await this.redis.hmget(curriculumKey(tenantId), 'version', 'revision');
      return version && revision ? { version: Number(version), revision } : undefined;
    });
  }

  get(tenantId: string): Promise<StoredCurriculum | undefined> {
    return guard(async () => {
      const h = await this.redis.hgetall(curriculumKey(tenantId));
      if (h.version === undefined || h.revision === undefined || h.document === undefined) return undefined;
      return { version: Number(h.version), revision: h.revision, document: JSON.parse(h.document) as CurriculumDocument, updatedAt: Number(h.updated_at), updatedBy: h.updated_by ?? '' };
    });
  }

  replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version' | 'revision'>): Promise<CurriculumWrite> {
    return guard(async () => {
      const revision = crypto.randomUUID();
      const v = await this.redis.curriculumReplace(curriculumKey(tenantId), expectedVersion, JSON.stringify(entry.document), entry.updatedAt, entry.updatedBy, revision);
      return v > 0 ? { kind: 'stored', version: v, revision } : { kind: 'stale', currentVersion: -v };
    });
  }
}
