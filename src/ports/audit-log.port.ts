import type { AuditEvent, AuditRecord, ChainEnds } from '../domain/audit';

export interface AuditQuery {
  tenantId: string;
  /** Only entries about this target (a student pseudonym). */
  target?: string;
  /** Entries with seq >= this. */
  fromSeq?: number;
  /** At most this many entries; all when absent. */
  limit?: number;
}

/**
 * An append-only, per-tenant, hash-chained log. Promises:
 * - `append` links the events after the tenant's last record atomically: concurrent writers
 *   (also in other processes) produce one linear chain, never a fork.
 * - records are never changed by this port; retention may drop the oldest (by time).
 * - `list` returns records in chain order; `readAll` returns the whole retained chain with its
 *   ends (head and retention anchor, kept apart from the records) for verification.
 * - backend failures reject.
 */
export interface AuditLog {
  append(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
  readAll(tenantId: string): Promise<{ records: AuditRecord[] } & ChainEnds>;
}
