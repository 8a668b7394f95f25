import { parseCurriculum, type Curriculum } from '../../domain/mastery/curriculum';
import type { Clock } from '../../ports/clock.port';
import type { CurriculumSource, TenantCurriculum } from '../../ports/curriculum-source.port';
import type { CurriculumStore } from '../../ports/curriculum-store.port';

export interface CachedCurriculumSourceOptions {
  store: CurriculumStore;
  clock: Clock;
  /** The shipped file: the curriculum of every tenant that never stored one. */
  shipped: Curriculum;
  /** How long an answer is trusted before the version is read again (CURRICULUM_REFRESH_MS). */
  refreshMs: number;
}

interface Entry {
  current: TenantCurriculum;
  checkedAt: number;
}

/**
 * Each replica's copy of the tenants' curricula, parsed once per version. How the copy stays true
 * when another replica writes: an entry is trusted for `refreshMs` only; the next ask after that
 * reads the tenant's revision (one small read, `currentRevision`), and only when it differs reads
 * and parses the document. Revisions never repeat (the store's promise), so an equal revision is
 * the same document. A replica therefore answers a new version at most `refreshMs` after it was
 * stored, and keeps no timer: an idle tenant costs nothing. Concurrent asks for a tenant share
 * one refresh. This replica's own writes call `changed`, so they are seen at once.
 */
export class CachedCurriculumSource implements CurriculumSource {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshing = new Map<string, Promise<TenantCurriculum>>();
  /** Counts `changed` calls per tenant, so a refresh can tell that it was overtaken. */
  private readonly generations = new Map<string, number>();
  private readonly shipped: TenantCurriculum;

  constructor(private readonly opts: CachedCurriculumSourceOptions) {
    this.shipped = { version: 0, curriculum: opts.shipped };
  }

  forTenant(tenantId: string): Promise<TenantCurriculum> {
    const entry = this.entries.get(tenantId);
    if (entry && this.opts.clock.now() - entry.checkedAt < this.opts.refreshMs) return Promise.resolve(entry.current);
    const pending = this.refreshing.get(tenantId);
    if (pending) return pending;
    const refresh: Promise<TenantCurriculum> = this.refresh(tenantId, entry).finally(() => {
      if (this.refreshing.get(tenantId) === refresh) this.refreshing.delete(tenantId);
    });
    this.refreshing.set(tenantId, refresh);
    return refresh;
  }

  changed(tenantId: string): void {
    // A refresh already under way may have read the old version: it must not answer the next ask.
    this.entries.delete(tenantId);
    this.refreshing.delete(tenantId);
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
  }

  private async refresh(tenantId: string, entry: Entry | undefined): Promise<TenantCurriculum> {
    const checkedAt = this.opts.clock.now();
    const generation = this.generations.get(tenantId);
    const stamp = await this.opts.store.currentRevision(tenantId);
    let current: TenantCurriculum;
    if (entry && entry.current.revision === stamp?.revision) current = entry.current;
    else if (!stamp) current = this.shipped;
    else {
      const stored = await this.opts.store.get(tenantId);
      if (!stored) current = this.shipped;
      else {
        // Documents are checked before they are stored; one that fails here was written by
        // something else, which is a broken store, not bad input.
        const parsed = parseCurriculum(stored.document);
        if (!parsed.ok) throw new Error(`stored curriculum of tenant ${tenantId} (version ${stored.version}) is invalid: ${parsed.errors.join('; ')}`);
        current = { version: stored.version, revision: stored.revision, curriculum: parsed.curriculum, updatedAt: stored.updatedAt };
      }
    }
    // A refresh that `changed` made obsolete while it read answers its caller but fills no entry.
    if (this.generations.get(tenantId) === generation) this.entries.set(tenantId, { current, checkedAt });
    return current;
  }
}
