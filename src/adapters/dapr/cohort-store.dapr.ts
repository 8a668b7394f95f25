import type { Cohort } from '../../domain/access/cohort';
import type { CohortStore, RosterWrite } from '../../ports/cohort-store.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import { cohortsDaprKey } from './keys';
import type { DaprState } from './state';

export interface DaprCohortStoreOptions {
  /** COHORT_TTL_DAYS in seconds: a roster names students, so it lapses when nobody rewrites it. */
  ttlSeconds: number;
  erasureRetentionSeconds: number;
  pseudonymize: Pseudonymizer;
}

/** A tenant's cohorts and the pseudonyms erased within the retention (-> erasure time). */
interface TenantCohorts {
  cohorts: Record<string, Omit<Cohort, 'tenantId' | 'cohortId'>>;
  erased: Record<string, number>;
}

const byId = (a: Cohort, b: Cohort): number => a.cohortId.localeCompare(b.cohortId);

/**
 * CohortStore on a Dapr state store: one document per tenant holds every cohort and the recent
 * erasures, so a put's erasure check and a removal from every roster are each one ETag-conditioned
 * write: a put that read before a removal fails its ETag, re-reads and sees the erasure.
 */
export class DaprCohortStore implements CohortStore {
  constructor(
    private readonly state: DaprState,
    private readonly opts: DaprCohortStoreOptions,
  ) {}

  put(cohort: Cohort, now: number): Promise<RosterWrite> {
    return this.state.update<TenantCohorts, RosterWrite>(cohortsDaprKey(cohort.tenantId), (doc) => {
      const next = this.pruned(doc, now);
      const refused = cohort.studentIds.filter((s) => next.erased[this.opts.pseudonymize(cohort.tenantId, s)] !== undefined);
      if (refused.length > 0) return { result: { kind: 'erased_members', studentIds: [...new Set(refused)].sort() } };
      next.cohorts[cohort.cohortId] = { name: cohort.name, teacherIds: [...cohort.teacherIds], studentIds: [...new Set(cohort.studentIds)].sort() };
      return { value: next, ttlSeconds: this.ttlOf(next), result: { kind: 'written' } };
    });
  }

  removeStudent(tenantId: string, studentId: string, at: number): Promise<void> {
    const pseudonym = this.opts.pseudonymize(tenantId, studentId);
    return this.state.update<TenantCohorts, void>(cohortsDaprKey(tenantId), (doc) => {
      const next = this.pruned(doc, at);
      for (const c of Object.values(next.cohorts)) c.studentIds = c.studentIds.filter((s) => s !== studentId);
      next.erased[pseudonym] = Math.max(at, next.erased[pseudonym] ?? at);
      return { value: next, ttlSeconds: this.ttlOf(next), result: undefined };
    });
  }

  async get(tenantId: string, cohortId: string): Promise<Cohort | undefined> {
    const c = (await this.state.get<TenantCohorts>(cohortsDaprKey(tenantId)))?.value.cohorts[cohortId];
    return c ? { tenantId, cohortId, ...c } : undefined;
  }

  async list(tenantId: string): Promise<Cohort[]> {
    const doc = (await this.state.get<TenantCohorts>(cohortsDaprKey(tenantId)))?.value;
    return Object.entries(doc?.cohorts ?? {})
      .map(([cohortId, c]) => ({ tenantId, cohortId, ...c }))
      .sort(byId);
  }

  /** A copy without the erasures older than the retention. */
  private pruned(doc: TenantCohorts | undefined, now: number): TenantCohorts {
    const next: TenantCohorts = doc ? structuredClone(doc) : { cohorts: {}, erased: {} };
    for (const [p, at] of Object.entries(next.erased)) if (at < now - this.opts.erasureRetentionSeconds * 1000) delete next.erased[p];
    return next;
  }

  private ttlOf(doc: TenantCohorts): number {
    return Object.keys(doc.erased).length > 0 ? Math.max(this.opts.ttlSeconds, this.opts.erasureRetentionSeconds) : this.opts.ttlSeconds;
  }
}
