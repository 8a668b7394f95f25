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

export interface ChainVerdict {
  intact: boolean;
  length: number;
  /** Position (0-based, in the order read) of the first record that does not follow from the one before. */
  firstBrokenPosition: number | null;
  reason?: string;
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
 * Checks a chain read in storage order: every record must carry the next sequence number after
 * the one before (or the anchor), the previous hash, and a hash over its own content; the last
 * must be the head.
 */
export function verifyChain(records: readonly AuditRecord[], ends: ChainEnds, sha256: Sha256): ChainVerdict {
  const start: ChainLink = ends.anchor ?? { seq: -1, hash: GENESIS_HASH };
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const prev = i === 0 ? start : records[i - 1]!;
    if (r.seq !== prev.seq + 1) return broken(records.length, i, `sequence jumps from ${prev.seq} to ${r.seq}`);
    if (r.prevHash !== prev.hash) return broken(records.length, i, 'previous hash does not match');
    if (sha256(r.prevHash + canonicalEntry(r, r.seq)) !== r.hash) return broken(records.length, i, 'content does not match its hash');
  }
  const last: ChainLink = records.at(-1) ?? start;
  if (ends.head && (last.seq !== ends.head.seq || last.hash !== ends.head.hash)) {
    return broken(records.length, records.length, `the chain ends before its head (seq ${ends.head.seq})`);
  }
  return { intact: true, length: records.length, firstBrokenPosition: null };
}

const broken = (length: number, position: number, reason: string): ChainVerdict => ({ intact: false, length, firstBrokenPosition: position, reason });
