import type { AuditEvent, AuditRecord, ChainEnds } from '../domain/compliance/audit';

export interface AuditQuery {
  tenantId: string;
  /** Only entries about this target (a student pseudonym). */
  target?: string;
  /** Entries with seq >= this. */
  fromSeq?: number;
  /** At most this many entries (fewer only when there are no more); all when absent. */
  limit?: number;
}

/**
 * An append-only, per-tenant, hash-chained log. Promises:
 * - `append` links the events after the tenant's last record atomically: concurrent writers
 *   (also in other processes) produce one linear chain, never a fork.
 * - records are never changed by this port; retention may drop the oldest (by time).
 * - `list` returns records in chain order, so callers page by `fromSeq` and `limit` and a long
 *   log never has to be read at once; `chainEnds` returns the head and the retention anchor,
 *   kept apart from the records, which verification holds the chain to.
 * - backend failures reject.
 */
export interface AuditLog {
  append(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
  chainEnds(tenantId: string): Promise<ChainEnds>;
}
