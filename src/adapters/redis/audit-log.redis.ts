import type { RedisClient } from './client';
import { chain, type AuditEvent, type AuditRecord, type ChainEnds, type ChainLink, type Sha256 } from '../../domain/compliance/audit';
import type { AuditLog, AuditQuery } from '../../ports/audit-log.port';
import type { Clock } from '../../ports/clock.port';
import appendScript from './audit-append.lua' with { type: 'text' };
import seqsFromScript from './audit-seqs-from.lua' with { type: 'text' };
import { guard } from './guard';
import { auditAnchorKey, auditHeadKey, auditKey, auditSeqsPrefix, legacyAuditIndexPrefix } from './keys';

type AppendFn = (
  numberOfKeys: number,
  ...keysThenArgs: (string | number)[]
) => Promise<number | string[]>;
/** The script's arguments after its keys. */
type AppendArgs = [
  expectedHead: string,
  cutoff: number,
  head: string,
  indexPrefix: string,
  ...values: (string | number)[],
];
type RedisWithAppend = RedisClient & { auditAppend: AppendFn; auditSeqsFrom: (index: string, from: number, count: number) => Promise<string[]> };
type StreamEntry = [id: string, fields: string[]];

/** Seqs of a student's index read per round trip, the entries they name then read at once. */
const SEQS_PER_PAGE = 1000;

/**
 * A record's values for the append script, which writes them under the stream fields `seq`, `at`,
 * `actor`, `action`, `target`, `request_id`, `outcome`, `prev` and `hash`, in this order.
 */
function encode(r: AuditRecord, into: (string | number)[]): void {
  into.push(r.seq, r.at, r.actor, r.action, r.target ?? '', r.requestId, r.outcome, r.prevHash, r.hash);
}

function decode([, fields]: StreamEntry): AuditRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return {
    seq: Number(f.seq),
    at: Number(f.at),
    actor: f.actor ?? '',
    action: f.action ?? '',
    target: f.target ? f.target : null,
    requestId: f.request_id ?? '',
    outcome: (f.outcome ?? 'failure') as AuditRecord['outcome'],
    prevHash: f.prev ?? '',
    hash: f.hash ?? '',
  };
}

/** Stream ids follow sequence numbers, so reading from a seq needs no scan. */
const streamId = (seq: number): string => `0-${seq + 1}`;

function parseLink(raw: string | null): ChainLink | undefined {
  if (!raw) return undefined;
  const bar = raw.indexOf('|');
  return { seq: Number(raw.slice(0, bar)), hash: raw.slice(bar + 1) };
}

/**
 * The audit log as one Redis stream per tenant. A writer reads the head, chains its batch in
 * TypeScript (Redis Lua has no SHA-256), and appends with a script that refuses if another writer
 * appended in between; it then re-reads and re-chains. The stream, head, anchor and index keys
 * have no TTL: records are removed by age to the audit retention, independent of the state TTL.
 */
export class RedisAuditLog implements AuditLog {
  private readonly redis: RedisWithAppend;

  constructor(
    redis: RedisClient,
    private readonly opts: { sha256: Sha256; clock: Clock; retentionMs: number; maxConflictRetries?: number },
  ) {
    redis.defineCommand('auditAppend', { lua: appendScript });
    redis.defineCommand('auditSeqsFrom', { numberOfKeys: 1, lua: seqsFromScript });
    this.redis = redis as RedisWithAppend;
  }

  append(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    return guard(() => this.appendChained(tenantId, events));
  }

  private async appendChained(tenantId: string, events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    const indexPrefix = auditSeqsPrefix(tenantId);
    // Students whose old records retention will trim, learnt from the script (see audit-append.lua).
    const trimmedTargets = new Set<string>();
    for (let round = 0; round < (this.opts.maxConflictRetries ?? 100); round++) {
      const rawHead = await this.redis.get(auditHeadKey(tenantId));
      const records = chain(events, parseLink(rawHead), this.opts.sha256);
      const cutoff = this.opts.clock.now() - this.opts.retentionMs;
      const head = records.at(-1)!;
      const targets = new Set([...trimmedTargets, ...records.flatMap((r) => (r.target ? [r.target] : []))]);
      const keys = [auditKey(tenantId), auditHeadKey(tenantId), auditAnchorKey(tenantId), ...[...targets].map((t) => indexPrefix + t)];
      const args: AppendArgs = [rawHead ?? '', cutoff, `${head.seq}|${head.hash}`, indexPrefix];
      for (const r of records) encode(r, args);
      const ok = await this.redis.auditAppend(keys.length, ...keys, ...args);
      if (ok === 1) return records;
      if (Array.isArray(ok)) {
        // Trimming reached students whose index was not declared: declare them and go again.
        ok.forEach((t) => trimmedTargets.add(t));
        continue;
      }
      // Another writer appended since we read the head: chain again from the new head.
      await Bun.sleep(Math.random() * Math.min(20, 2 ** round));
    }
    throw new Error('audit log kept changing; append abandoned');
  }

  list(q: AuditQuery): Promise<AuditRecord[]> {
    return guard(() => {
      const from = q.fromSeq ?? 0;
      const limit = q.limit ?? Number.MAX_SAFE_INTEGER;
      return q.target === undefined ? this.page(q.tenantId, from, limit) : this.pageAbout(q.tenantId, q.target, from, limit);
    });
  }

  chainEnds(tenantId: string): Promise<ChainEnds> {
    return guard(async () => {
      const [head, anchor] = await this.redis.mget(auditHeadKey(tenantId), auditAnchorKey(tenantId));
      return { head: parseLink(head ?? null), anchor: parseLink(anchor ?? null) };
    });
  }

  /**
   * A student's entries through their index. The append script removes trimmed seqs from it, but
   * a record trimmed between the two reads is not found: read on until the page is full or the
   * index ends, so a short page always means the end.
   */
  private async pageAbout(tenantId: string, target: string, from: number, limit: number): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    while (records.length < limit) {
      const want = Math.min(limit - records.length, SEQS_PER_PAGE);
      const seqs = await this.seqsAbout(tenantId, target, from, want);
      const entries = await Promise.all(seqs.map((seq) => this.redis.xrange(auditKey(tenantId), streamId(seq), streamId(seq)) as Promise<StreamEntry[]>));
      records.push(...entries.flat().map(decode));
      if (seqs.length < want) break;
      from = seqs.at(-1)! + 1;
    }
    return records;
  }

  /**
   * Up to `count` seqs of a student's entries from `from` on, in order: those of the sorted set
   * their index was before ADR 0021, all older than any in the list that replaced it, then the
   * list's. Both are asked at once.
   */
  private async seqsAbout(tenantId: string, target: string, from: number, count: number): Promise<number[]> {
    const [legacy, listed] = await Promise.all([
      this.redis.zrangebyscore(legacyAuditIndexPrefix(tenantId) + target, from, '+inf', 'LIMIT', 0, count),
      this.redis.auditSeqsFrom(auditSeqsPrefix(tenantId) + target, from, count),
    ]);
    return [...legacy, ...listed].slice(0, count).map(Number);
  }

  /** Records from sequence number `from` on, in chain order: one XRANGE, since ids are 0-(seq+1). */
  private async page(tenantId: string, from: number, count: number): Promise<AuditRecord[]> {
    return ((await this.redis.xrange(auditKey(tenantId), streamId(from), '+', 'COUNT', count)) as StreamEntry[]).map(decode);
  }
}
