import type { CurriculumDocument } from '../domain/mastery/curriculum';

/** A tenant's own curriculum as stored: the document, its version and who wrote it when. */
export interface StoredCurriculum {
  /** 1 for the first one a tenant stores, one more for each replacement. */
  version: number;
  document: CurriculumDocument;
  updatedAt: number;
  /** `role:subject` of the writer, as in the audit log. */
  updatedBy: string;
}

export type CurriculumWrite = { kind: 'stored'; version: number } | { kind: 'stale'; currentVersion: number };

/**
 * Where a tenant's curriculum lives once it replaced the shipped one. Small on purpose (one
 * counter, one document per tenant) so every state backend can hold it. Promises:
 * - `currentVersion` answers 0 for a tenant that never stored one. It is the cheap read replicas
 *   poll, so it must not read the document.
 * - `replace` is a compare-and-set: it stores the document as version `expectedVersion + 1` only
 *   when the current version is `expectedVersion`, in one atomic step; otherwise it writes
 *   nothing and answers `stale` with the current version. Of two writers expecting the same
 *   version exactly one wins. Versions of a tenant only grow and never repeat (nothing deletes them),
 *   so a replica comparing versions cannot mistake a new document for one it holds.
 * - `get` answers undefined for a tenant that never stored one; values returned are copies.
 * - Failures of the backing service reject with StoreUnavailableError.
 */
export interface CurriculumStore {
  currentVersion(tenantId: string): Promise<number>;
  get(tenantId: string): Promise<StoredCurriculum | undefined>;
  replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version'>): Promise<CurriculumWrite>;
}
