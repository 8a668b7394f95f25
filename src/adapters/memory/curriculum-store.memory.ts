import type { CurriculumStore, CurriculumWrite, StoredCurriculum } from '../../ports/curriculum-store.port';

/** The embedded curriculum store and the contract suite's fake: one entry per tenant, copies in and out. */
export class MemoryCurriculumStore implements CurriculumStore {
  private readonly tenants = new Map<string, StoredCurriculum>();

  async currentVersion(tenantId: string): Promise<number> {
    return this.tenants.get(tenantId)?.version ?? 0;
  }

  async get(tenantId: string): Promise<StoredCurriculum | undefined> {
    const entry = this.tenants.get(tenantId);
    return entry ? structuredClone(entry) : undefined;
  }

  async replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version'>): Promise<CurriculumWrite> {
    const current = this.tenants.get(tenantId)?.version ?? 0;
    if (current !== expectedVersion) return { kind: 'stale', currentVersion: current };
    this.tenants.set(tenantId, structuredClone({ ...entry, version: current + 1 }));
    return { kind: 'stored', version: current + 1 };
  }
}
