import type { CurriculumRevision, CurriculumStore, CurriculumWrite, StoredCurriculum } from '../../ports/curriculum-store.port';
import { curriculumDaprKey } from './keys';
import type { DaprState } from './state';

/**
 * CurriculumStore on a Dapr state store: one value per tenant holds the document with its version
 * and revision, so the compare-and-set is one ETag-conditioned write. Dapr reads whole values
 * only, so `currentRevision` reads the document too (a few KiB, once per CURRICULUM_REFRESH_MS per
 * tenant and replica); a separate stamp key could not be written atomically with it (ADR 0011).
 */
export class DaprCurriculumStore implements CurriculumStore {
  constructor(private readonly state: DaprState) {}

  async currentRevision(tenantId: string): Promise<CurriculumRevision | undefined> {
    const stored = await this.get(tenantId);
    return stored && { version: stored.version, revision: stored.revision };
  }

  async get(tenantId: string): Promise<StoredCurriculum | undefined> {
    return (await this.state.get<StoredCurriculum>(curriculumDaprKey(tenantId)))?.value;
  }

  replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version' | 'revision'>): Promise<CurriculumWrite> {
    // Drawn once, outside the step: update() may run the step again after losing a race.
    const revision = crypto.randomUUID();
    return this.state.update<StoredCurriculum, CurriculumWrite>(curriculumDaprKey(tenantId), (current) => {
      const currentVersion = current?.version ?? 0;
      if (currentVersion !== expectedVersion) return { result: { kind: 'stale', currentVersion } };
      const version = currentVersion + 1;
      return { value: { ...entry, version, revision }, result: { kind: 'stored', version, revision } };
    });
  }
}
