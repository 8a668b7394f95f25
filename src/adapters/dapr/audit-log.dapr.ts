import { chain, type AuditEvent, type AuditRecord, type ChainEnds, type ChainLink, type Sha256 } from '../../domain/compliance/audit';
import type { AuditLog, AuditQuery } from '../../ports/audit-log.port';
import type { Clock } from '../../ports/clock.port';
import { KeyedQueue } from '../ingest/keyed-queue';
import { auditDaprKey, auditPageDaprKey } from './keys';
import type { DaprState } from './state';

/** A sealed page as the head remembers it: enough to skip it when paging and to drop it by age. */
interface PageSummary {
  page: number;
  firstSeq: number;
  last: ChainLink;
  /** The newest `at` on the page: the page goes once this is past the retention. */
  newestAt: number;
}

/** The tenant's chain: its ends, its sealed pages in order, and the open page of the newest records. */
interface AuditHead {
  head?: ChainLink;
  anchor?: ChainLink;
  pages: PageSummary[];
  nextPage: number;
  open: AuditRecord[];
}

/** Records per sealed page: the head document stays small while a page is one read. */
const PAGE_SIZE = 256;
const link = (r: AuditRecord): ChainLink => ({ seq: r.seq, hash: r.hash });

/**
 * AuditLog on a Dapr state store. The head document is the one point of truth: an append links
 * the events after its head and writes it back only if its ETag still holds, so concurrent writers
 * (other replicas) produce one linear chain, never a fork. Full pages are sealed into documents
 * of their own before the head that lists them is written: their content is already committed,
 * so a writer that loses the race rewrites a page with the same records, and a page the head does
 * not list is never read. Retention drops whole sealed pages whose every record has aged out and
 * moves the anchor to the page's last record. Without SCAN, listing reads the head and then the
 * pages from `fromSeq` on; a target filter reads them all (Redis keeps a per-target index).
 */
export class DaprAuditLog implements AuditLog {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly state: DaprState,
    private readonly opts: { sha256: Sha256; clock: Clock; retentionMs: number },
  ) {}

  append(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    return this.queue.run(tenantId, () => this.appendNow(tenantId, events));
  }

  private async appendNow(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    const key = auditDaprKey(tenantId);
    for (let round = 0; round < 50; round++) {
      const stored = await this.state.get<AuditHead>(key);
      const next: AuditHead = stored ? structuredClone(stored.value) : { pages: [], nextPage: 0, open: [] };
      const cutoff = this.opts.clock.now() - this.opts.retentionMs;
      const dropped: number[] = [];
      while (next.pages.length > 0 && next.pages[0]!.newestAt < cutoff) {
        const page = next.pages.shift()!;
        next.anchor = page.last;
        dropped.push(page.page);
      }
      if (next.pages.length === 0) {
        // Nothing sealed is left before the open page: its oldest records age out one by one.
        while (next.open.length > 0 && next.open[0]!.at < cutoff) next.anchor = link(next.open.shift()!);
      }
      const records = chain(events, next.head, this.opts.sha256);
      if (records.length === 0) return [];
      next.open.push(...records);
      next.head = link(records.at(-1)!);
      while (next.open.length >= PAGE_SIZE) {
        const sealed = next.open.splice(0, PAGE_SIZE);
        await this.state.save(auditPageDaprKey(tenantId, next.nextPage), sealed);
        next.pages.push({ page: next.nextPage, firstSeq: sealed[0]!.seq, last: link(sealed.at(-1)!), newestAt: Math.max(...sealed.map((r) => r.at)) });
        next.nextPage += 1;
      }
      if (await this.state.save(key, next, { expect: stored ? { etag: stored.etag } : 'absent' })) {
        for (const page of dropped) await this.state.delete(auditPageDaprKey(tenantId, page));
        return records;
      }
      if (round > 0) await Bun.sleep(Math.random() * Math.min(50, 2 ** round));
    }
    throw new Error(`dapr audit log: the chain of ${tenantId} kept moving under 50 attempts`);
  }

  async list(q: AuditQuery): Promise<AuditRecord[]> {
    const head = (await this.state.get<AuditHead>(auditDaprKey(q.tenantId)))?.value;
    if (!head) return [];
    const fromSeq = q.fromSeq ?? 0;
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    const found: AuditRecord[] = [];
    const take = (records: readonly AuditRecord[]) => {
      for (const r of records) {
        if (found.length >= limit) return;
        if (r.seq >= fromSeq && (q.target === undefined || r.target === q.target)) found.push(r);
      }
    };
    // Pages are read a few at a time, in order, until the page of results is full.
    const pages = head.pages.filter((p) => p.last.seq >= fromSeq);
    for (let i = 0; i < pages.length && found.length < limit; i += 8) {
      const batch = await this.state.getMany<AuditRecord[]>(pages.slice(i, i + 8).map((p) => auditPageDaprKey(q.tenantId, p.page)));
      for (const page of batch) take(page?.value ?? []);
    }
    take(head.open);
    return found;
  }

  async chainEnds(tenantId: string): Promise<ChainEnds> {
    const head = (await this.state.get<AuditHead>(auditDaprKey(tenantId)))?.value;
    return { head: head?.head, anchor: head?.anchor };
  }
}
