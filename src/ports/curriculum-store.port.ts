import type { CurriculumDocument } from '../domain/mastery/curriculum';

/** A tenant's own curriculum as stored: the document, its version and who wrote it when. */
export interface StoredCurriculum {
  /** 1 for the first one a tenant stores, one more for each replacement: what editors send in If-Match. */
  version: number;
  /** A random token drawn by the store at each write: what replicas compare (see the port's promises). */
  revision: string;
  document: CurriculumDocument;
  updatedAt: number;
  /** `role:subject` of the writer, as in the audit log. */
  updatedBy: string;
}

export type CurriculumWrite = { kind: 'stored'; version: number; revision: string } | { kind: 'stale'; currentVersion: number };

/** Which write a tenant's curriculum comes from, without the document. */
export type CurriculumRevision = Pick<StoredCurriculum, 'version' | 'revision'>;

/**
 * Where a tenant's curriculum lives once it replaced the shipped one. Small on purpose (one
 * counter, one document per tenant) so every state backend can hold it. Promises:
 * - `currentRevision` answers undefined for a tenant that never stored one. It is the read
 *   replicas poll: a backend that can read the version and revision without the document must
 *   (Redis: one HMGET); one that reads whole values only (Dapr) reads the document.
 * - `replace` is a compare-and-set: it stores the document as version `expectedVersion + 1` only
 *   when the current version is `expectedVersion`, in one atomic step; otherwise it writes
 *   nothing and answers `stale` with the current version (0 for none). Of two writers expecting the
 *   same version exactly one wins. Each write draws a new random `revision`: versions could
 *   start again if the stored curriculum were ever lost or restored, revisions never repeat, so a
 *   replica comparing revisions cannot mistake a new document for the one it holds (ADR 0009).
 * - `get` answers undefined for a tenant that never stored one; values returned are copies.
 * - Failures of the backing service reject with StoreUnavailableError.
 */
export interface CurriculumStore {
  currentRevision(tenantId: string): Promise<CurriculumRevision | undefined>;
  get(tenantId: string): Promise<StoredCurriculum | undefined>;
  replace(tenantId: string, expectedVersion: number, entry: Omit<StoredCurriculum, 'version' | 'revision'>): Promise<CurriculumWrite>;
}
