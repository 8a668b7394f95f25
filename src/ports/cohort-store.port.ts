import type { Cohort } from '../domain/access/cohort';

/** A roster write refused because it names students erased within the erasure retention. */
export type RosterWrite = { kind: 'written' } | { kind: 'erased_members'; studentIds: string[] };

/**
 * Where cohorts live, per tenant. Promises:
 * - `put` creates or replaces a cohort whole, atomically; it writes nothing and answers
 *   `erased_members` when the roster names a student erased within the erasure retention, so a
 *   roster read before an erasure and written after it cannot bring the student back.
 * - `removeStudent` takes a student off every roster of the tenant in one atomic step and
 *   remembers the erasure (by pseudonym) for the erasure retention; concurrent removals and puts
 *   never undo one another. Idempotent.
 * - Reads of an unknown cohort answer undefined; `list` returns the tenant's cohorts sorted by id;
 *   student ids come sorted; every value returned is a copy; backend failures reject with
 *   StoreUnavailableError.
 */
export interface CohortStore {
  put(cohort: Cohort, now: number): Promise<RosterWrite>;
  removeStudent(tenantId: string, studentId: string, at: number): Promise<void>;
  get(tenantId: string, cohortId: string): Promise<Cohort | undefined>;
  list(tenantId: string): Promise<Cohort[]>;
}
