import type { AuditLog } from '../../ports/audit-log.port';

/**
 * The audit trail: who did what to whose data, when, with what outcome. Entries form a hash
 * chain (each hash covers the previous hash and the entry), so editing, removing or reordering
 * any entry breaks the chain from that position on. Targets are pseudonyms (an HMAC of the
 * student id), so erasing a student's data does not require rewriting, and so breaking, the chain.
 */
export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditEvent {
  /** `${role}:${subject}` of the caller, or `system`. */
  actor: string;
  /** e.g. `mastery.read`, `auth.denied`, `gdpr.export`, `gdpr.erase`, `consent.update`, `cohort.write`. */
  action: string;
  /** Pseudonym of the student concerned, or another non-personal target (`cohort:c1`), or null. */
  target: string | null;
  requestId: string;
  outcome: AuditOutcome;
  /** Epoch ms. */
  at: number;
}

export interface AuditRecord extends AuditEvent {
  /** 0-based position in the tenant's chain. */
  seq: number;
  prevHash: string;
  hash: string;
}

/** The hash of the chain before its first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** A stable serialisation: fixed field order, so every writer and verifier hashes the same bytes. */
export const canonicalEntry = (e: AuditEvent, seq: number): string =>
  JSON.stringify([seq, e.at, e.actor, e.action, e.target, e.requestId, e.outcome]);

export type Sha256 = (data: string) => string;

/** Links `events` after the record `last` (or the genesis). */
export function chain(events: readonly AuditEvent[], last: { seq: number; hash: string } | undefined, sha256: Sha256): AuditRecord[] {
  let seq = last ? last.seq + 1 : 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  return events.map((e) => {
    const hash = sha256(prevHash + canonicalEntry(e, seq));
    const record: AuditRecord = { ...e, seq, prevHash, hash };
    prevHash = hash;
    seq += 1;
    return record;
  });
}

/** A chain position `{seq, hash}` kept apart from the records. */
export interface ChainLink {
  seq: number;
  hash: string;
}

/**
 * What a verifier needs besides the records: the head (the last record appended), so a cut-off
 * tail shows, and the anchor (the last record removed by retention), so a removed first record
 * shows; without an anchor the chain must start at the genesis.
 */
export interface ChainEnds {
  head: ChainLink | undefined;
  anchor: ChainLink | undefined;
}

/**
 * Where a verification run stands: the last link it checked and how many records it checked to
 * get there. The next call continues the chain from it without re-reading what was checked.
 */
export interface VerifyPoint extends ChainLink {
  checked: number;
}

export interface AuditVerdict {
  /** No break found in what this run has checked (so far, while `next` is set). */
  intact: boolean;
  /** Records checked by the run, over all its calls. */
  length: number;
  /** Records checked by this call. */
  checked: number;
  /** Position (0-based, in the order read over the run) of the first record that does not follow from the one before. */
  firstBrokenPosition: number | null;
  reason?: string;
  /** Where the next call continues, when this one stopped at its limit before the head. */
  next: VerifyPoint | null;
}

/** What verification reads: the chain's ends, and records by sequence number a page at a time. */
export type AuditChainReader = Pick<AuditLog, 'chainEnds' | 'list'>;

/**
 * Checks a tenant's chain read in storage order, a page at a time, holding only the last link
 * checked: every record must carry the next sequence number after the one before (or the
 * anchor), the previous hash, and a hash over its own content; the last must be the head read
 * when the call began (later appends are the next run's). Stops after `limit` records with a
 * `next` point to continue from; without a limit it runs to the head.
 */
export async function verifyAuditLog(
  log: AuditChainReader,
  tenantId: string,
  opts: { from?: VerifyPoint; limit?: number; pageSize: number },
  sha256: Sha256,
): Promise<AuditVerdict> {
  const { head, anchor: firstAnchor } = await log.chainEnds(tenantId);
  let anchor = firstAnchor;
  let at: VerifyPoint = opts.from ?? { ...(anchor ?? { seq: -1, hash: GENESIS_HASH }), checked: 0 };
  const startedAt = at.checked;
  const verdict = (intact: boolean, extra: Partial<AuditVerdict> = {}): AuditVerdict => ({
    intact,
    length: at.checked,
    checked: at.checked - startedAt,
    firstBrokenPosition: null,
    next: null,
    ...extra,
  });
  // Without a head (never written, or removed) there is no end to hold the chain to: read it all.
  const end = head?.seq ?? Number.POSITIVE_INFINITY;
  let budget = opts.limit ?? Number.POSITIVE_INFINITY;
  while (at.seq < end && budget > 0) {
    const want = Math.min(opts.pageSize, budget, end - at.seq);
    const page = await log.list({ tenantId, fromSeq: at.seq + 1, limit: want });
    if (page.length > 0 && page[0]!.seq > at.seq + 1) {
      // Retention may have trimmed past this point since it was reached: then the chain goes on
      // from the anchor it left. A gap the anchor does not explain is a deletion, found below.
      ({ anchor } = await log.chainEnds(tenantId));
      if (anchor && anchor.seq > at.seq) {
        at = { ...anchor, checked: at.checked };
        continue;
      }
    }
    for (const r of page) {
      const reason =
        r.seq !== at.seq + 1
          ? `sequence jumps from ${at.seq} to ${r.seq}`
          : r.prevHash !== at.hash
            ? 'previous hash does not match'
            : sha256(r.prevHash + canonicalEntry(r, r.seq)) !== r.hash
              ? 'content does not match its hash'
              : undefined;
      if (reason) return verdict(false, { firstBrokenPosition: at.checked, reason });
      at = { seq: r.seq, hash: r.hash, checked: at.checked + 1 };
    }
    budget -= page.length;
    if (page.length < want) break;
  }
  if (at.seq < end && budget === 0) return verdict(true, { next: at });
  if (head && (at.seq !== head.seq || at.hash !== head.hash)) {
    return verdict(false, { firstBrokenPosition: at.checked, reason: `the chain ends before its head (seq ${head.seq})` });
  }
  return verdict(true);
}
