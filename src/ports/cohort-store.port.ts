import type { Cohort } from '../domain/cohort';

/**
 * Where cohorts live, per tenant. Promises: `put` creates or replaces a cohort whole; reads of an
 * unknown cohort answer undefined; `list` returns the tenant's cohorts sorted by id; every value
 * returned is a copy; backend failures reject with StoreUnavailableError.
 */
export interface CohortStore {
  put(cohort: Cohort): Promise<void>;
  get(tenantId: string, cohortId: string): Promise<Cohort | undefined>;
  list(tenantId: string): Promise<Cohort[]>;
}
