import type { CurriculumRevision, CurriculumStore, CurriculumWrite, StoredCurriculum } from '../../ports/curriculum-store.port';

/** The embedded curriculum store and the contract suite's fake: one entry per tenant, copies in and out. */
export class MemoryCurriculumStore implements CurriculumStore {
  private readonly tenants = new Map<string, StoredCurriculum>();

  async currentRevision(tenantId: string): Promise<CurriculumRevision | undefined> {
    const entry = this.tenants.get(tenantId);
    return entry ? { version: entry.version, revision: entry.revision } : undefined;
  }

  async get(tenantId: string): Promise<StoredCurriculum | undefined> {
    const entry = this.tenants.get(tenantId);
    return entry ? structuredClone(entry) : undefined;
  }

  async replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version' | 'revision'>): Promise<CurriculumWrite> {
    const current = this.tenants.get(tenantId)?.version ?? 0;
    if (current !== expectedVersion) return { kind: 'stale', currentVersion: current };
    const stored = { ...structuredClone(entry), version: current + 1, revision: crypto.randomUUID() };
    this.tenants.set(tenantId, stored);
    return { kind: 'stored', version: stored.version, revision: stored.revision };
  }
}
