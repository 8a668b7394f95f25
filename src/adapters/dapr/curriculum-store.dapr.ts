import { StoreUnavailableError } from '../../ports/mastery-store.port';
import type { CurriculumRevision, CurriculumStore, CurriculumWrite, StoredCurriculum } from '../../ports/curriculum-store.port';
import { curriculumDocumentDaprKey, curriculumRevisionDaprKey } from './keys';
import type { DaprState } from './state';

/**
 * CurriculumStore on a Dapr state store. The tenant's small revision document (version and
 * revision) is the commit point and what replicas poll; each written curriculum is a document of
 * its own under its revision, written before the revision document that names it, so a reader
 * never finds a revision without its curriculum. `replace` is a compare-and-set on the revision
 * document's ETag: of two writers expecting the same version one wins, and the loser removes the
 * curriculum it wrote. No TTL: the curriculum is configuration, not personal data.
 */
export class DaprCurriculumStore implements CurriculumStore {
  constructor(private readonly state: DaprState) {}

  async currentRevision(tenantId: string): Promise<CurriculumRevision | undefined> {
    return (await this.state.get<CurriculumRevision>(curriculumRevisionDaprKey(tenantId)))?.value;
  }

  async get(tenantId: string): Promise<StoredCurriculum | undefined> {
    let current = await this.currentRevision(tenantId);
    while (current) {
      const stored = await this.state.get<Omit<StoredCurriculum, 'version' | 'revision'>>(curriculumDocumentDaprKey(tenantId, current.revision));
      if (stored) return { ...stored.value, version: current.version, revision: current.revision };
      // The revision moved on and its old curriculum went between the two reads: read the new one.
      // A revision still naming a curriculum that is not there is a damaged store, not a race.
      const next = await this.currentRevision(tenantId);
      if (next?.revision === current.revision) throw new StoreUnavailableError(`dapr-state: the curriculum of tenant ${tenantId}'s current revision is missing`);
      current = next;
    }
    return undefined;
  }

  async replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version' | 'revision'>): Promise<CurriculumWrite> {
    const key = curriculumRevisionDaprKey(tenantId);
    const current = await this.state.get<CurriculumRevision>(key);
    const currentVersion = current?.value.version ?? 0;
    if (currentVersion !== expectedVersion) return { kind: 'stale', currentVersion };
    const next: CurriculumRevision = { version: currentVersion + 1, revision: crypto.randomUUID() };
    await this.state.save(curriculumDocumentDaprKey(tenantId, next.revision), entry);
    const won = await this.state.save(key, next, { expect: current ? { etag: current.etag } : 'absent' });
    if (!won) {
      await this.state.delete(curriculumDocumentDaprKey(tenantId, next.revision));
      return { kind: 'stale', currentVersion: (await this.currentRevision(tenantId))?.version ?? 0 };
    }
    if (current) await this.state.delete(curriculumDocumentDaprKey(tenantId, current.value.revision));
    return { kind: 'stored', version: next.version, revision: next.revision };
  }
}
