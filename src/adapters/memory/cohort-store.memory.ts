import type { Cohort } from '../../domain/cohort';
import type { CohortStore } from '../../ports/cohort-store.port';

const copy = (c: Cohort): Cohort => ({ ...c, teacherIds: [...c.teacherIds], studentIds: [...c.studentIds] });

/** Cohorts in a map per tenant: the embedded default and the test double. */
export class MemoryCohortStore implements CohortStore {
  private readonly tenants = new Map<string, Map<string, Cohort>>();

  async put(cohort: Cohort): Promise<void> {
    const tenant = this.tenants.get(cohort.tenantId) ?? new Map<string, Cohort>();
    tenant.set(cohort.cohortId, copy(cohort));
    this.tenants.set(cohort.tenantId, tenant);
  }

  async get(tenantId: string, cohortId: string): Promise<Cohort | undefined> {
    const c = this.tenants.get(tenantId)?.get(cohortId);
    return c ? copy(c) : undefined;
  }

  async list(tenantId: string): Promise<Cohort[]> {
    return [...(this.tenants.get(tenantId)?.values() ?? [])].sort((a, b) => a.cohortId.localeCompare(b.cohortId)).map(copy);
  }
}
