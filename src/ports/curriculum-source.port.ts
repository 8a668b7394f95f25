import type { Curriculum } from '../domain/mastery/curriculum';

/** The curriculum a tenant uses now, with the version it came from (0: the shipped file). */
export interface TenantCurriculum {
  version: number;
  /** The store's revision of the write it came from; undefined for the shipped file. */
  revision?: string;
  curriculum: Curriculum;
  /** When the tenant's own version was stored (epoch ms); undefined for the shipped file. */
  updatedAt?: number;
}

/**
 * What the core asks for the curriculum of a tenant: the engine, predictions, recommendations and
 * analytics all go through it, so one tenant's rules are one value. Promises: a tenant that never
 * stored a curriculum gets the shipped file (version 0); after a replacement on any replica, every
 * replica answers the new version within CURRICULUM_REFRESH_MS (at most 5 s); `changed` makes
 * this replica answer a version it wrote at once. Failures of the store reject with
 * StoreUnavailableError.
 */
export interface CurriculumSource {
  forTenant(tenantId: string): Promise<TenantCurriculum>;
  /** Forgets what this replica holds for the tenant: the next ask reads the store. */
  changed(tenantId: string): void;
}
