import { chain, type AuditEvent, type AuditRecord, type ChainEnds, type ChainLink, type Sha256 } from '../../domain/compliance/audit';
import type { AuditLog, AuditQuery } from '../../ports/audit-log.port';
import type { Clock } from '../../ports/clock.port';

interface TenantLog {
  records: AuditRecord[];
  head?: ChainLink;
  anchor?: ChainLink;
}

const link = (r: AuditRecord): ChainLink => ({ seq: r.seq, hash: r.hash });

/** Index of the first record with seq >= `seq`, by binary search. */
function firstAtOrAfter(records: readonly AuditRecord[], seq: number): number {
  let [lo, hi] = [0, records.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (records[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The audit log in arrays per tenant; appends are synchronous, so the chain cannot fork. */
export class MemoryAuditLog implements AuditLog {
  private readonly tenants = new Map<string, TenantLog>();

  constructor(private readonly opts: { sha256: Sha256; clock: Clock; retentionMs: number }) {}

  async append(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    const log = this.tenants.get(tenantId) ?? { records: [] };
    const cutoff = this.opts.clock.now() - this.opts.retentionMs;
    // Records are in append order, so the expired ones are a prefix: counting it costs what expired,
    // where a filter over the whole log cost every append the log's length (a bench's log reaches
    // tens of thousands of entries, and the appends ate the event loop).
    let expired = 0;
    while (expired < log.records.length && log.records[expired]!.at < cutoff) expired++;
    if (expired > 0) {
      log.anchor = link(log.records[expired - 1]!);
      log.records = log.records.slice(expired);
    }
    const records = chain(events, log.head, this.opts.sha256);
    log.records.push(...records);
    if (records.length > 0) log.head = link(records.at(-1)!);
    this.tenants.set(tenantId, log);
    return records.map((r) => ({ ...r }));
  }

  async list(q: AuditQuery): Promise<AuditRecord[]> {
    const records = this.tenants.get(q.tenantId)?.records ?? [];
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    const page: AuditRecord[] = [];
    // Records are in seq order: start where `fromSeq` would be, so paging a long log stays linear.
    for (let i = firstAtOrAfter(records, q.fromSeq ?? 0); i < records.length && page.length < limit; i++) {
      const r = records[i]!;
      if (q.target === undefined || r.target === q.target) page.push({ ...r });
    }
    return page;
  }

  async chainEnds(tenantId: string): Promise<ChainEnds> {
    const log = this.tenants.get(tenantId);
    return { head: log?.head && { ...log.head }, anchor: log?.anchor && { ...log.anchor } };
  }

  /** The stored records themselves, for tamper tests only. */
  rawRecords(tenantId: string): AuditRecord[] {
    return this.tenants.get(tenantId)?.records ?? [];
  }
}
