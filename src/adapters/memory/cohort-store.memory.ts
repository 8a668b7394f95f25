import type { Cohort } from '../../domain/access/cohort';
import type { CohortStore, RosterWrite } from '../../ports/cohort-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';

const copy = (c: Cohort): Cohort => ({ ...c, teacherIds: [...c.teacherIds], studentIds: [...c.studentIds] });

export interface MemoryCohortStoreOptions {
  /** How long an erased student may not be put back on a roster (ERASURE_RETENTION_DAYS). */
  erasureRetentionMs: number;
  pseudonymize: Pseudonymizer;
}

/**
 * Cohorts in a map per tenant: the embedded default and the test double. Each method runs in one
 * JavaScript turn, so a put and a removal are atomic with respect to each other by construction.
 */
export class MemoryCohortStore implements CohortStore {
  private readonly tenants = new Map<string, Map<string, Cohort>>();
  /** tenant -> pseudonym -> erasure time; never the student id. */
  private readonly erased = new Map<string, Map<string, number>>();

  constructor(private readonly opts: MemoryCohortStoreOptions) {}

  async put(cohort: Cohort, now: number): Promise<RosterWrite> {
    const erased = this.erased.get(cohort.tenantId);
    for (const [pseudonym, at] of erased ?? []) if (at < now - this.opts.erasureRetentionMs) erased!.delete(pseudonym);
    const refused = cohort.studentIds.filter((s) => erased?.has(this.opts.pseudonymize(cohort.tenantId, s)));
    if (refused.length > 0) return { kind: 'erased_members', studentIds: [...new Set(refused)].sort() };
    const tenant = this.tenants.get(cohort.tenantId) ?? new Map<string, Cohort>();
    tenant.set(cohort.cohortId, { ...copy(cohort), studentIds: [...new Set(cohort.studentIds)].sort() });
    this.tenants.set(cohort.tenantId, tenant);
    return { kind: 'written' };
  }

  async removeStudent(tenantId: string, studentId: string, at: number): Promise<void> {
    for (const c of this.tenants.get(tenantId)?.values() ?? []) c.studentIds = c.studentIds.filter((s) => s !== studentId);
    const erased = this.erased.get(tenantId) ?? new Map<string, number>();
    const pseudonym = this.opts.pseudonymize(tenantId, studentId);
    erased.set(pseudonym, Math.max(at, erased.get(pseudonym) ?? at));
    this.erased.set(tenantId, erased);
  }

  async get(tenantId: string, cohortId: string): Promise<Cohort | undefined> {
    const c = this.tenants.get(tenantId)?.get(cohortId);
    return c ? copy(c) : undefined;
  }

  async list(tenantId: string): Promise<Cohort[]> {
    return [...(this.tenants.get(tenantId)?.values() ?? [])].sort((a, b) => a.cohortId.localeCompare(b.cohortId)).map(copy);
  }
}
