import { describe, expect, test } from 'bun:test';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { chain, GENESIS_HASH, verifyChain, type AuditEvent, type AuditRecord } from '../../src/domain/audit';

const event = (i: number): AuditEvent => ({ actor: `admin:a${i % 3}`, action: 'mastery.read', target: `p${i}`, requestId: `r${i}`, outcome: 'success', at: 1_700_000_000_000 + i });
const thousand = (): AuditRecord[] => chain(Array.from({ length: 1000 }, (_, i) => event(i)), undefined, sha256);
const headOf = (rs: AuditRecord[]) => ({ head: { seq: rs.at(-1)!.seq, hash: rs.at(-1)!.hash }, anchor: undefined });

describe('the audit hash chain', () => {
  test('an untouched chain of 1,000 entries verifies', () => {
    const records = thousand();
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    expect(verifyChain(records, headOf(records), sha256)).toEqual({ intact: true, length: 1000, firstBrokenPosition: null });
  });

  test('chaining continues from the last record', () => {
    const first = chain([event(0)], undefined, sha256);
    const next = chain([event(1)], first[0], sha256);
    expect(next[0]).toMatchObject({ seq: 1, prevHash: first[0]!.hash });
    expect(verifyChain([...first, ...next], headOf(next), sha256).intact).toBe(true);
    expect(verifyChain([], { head: undefined, anchor: undefined }, sha256).intact).toBe(true);
  });

  // Positions across the chain, including both ends.
  const positions = [0, 1, 2, 250, 499, 500, 777, 997, 998, 999];

  test.each(positions)('editing entry %d is detected at its position', (i) => {
    const records = thousand();
    const head = headOf(records);
    records[i] = { ...records[i]!, outcome: 'denied' };
    expect(verifyChain(records, head, sha256)).toMatchObject({ intact: false, firstBrokenPosition: i });
  });

  test.each(positions)('editing entry %d and re-hashing it is still detected (at the next entry, or the head)', (i) => {
    const records = thousand();
    const head = headOf(records);
    const edited = { ...records[i]!, actor: 'admin:someone-else' };
    const rechained = chain([edited], i === 0 ? undefined : records[i - 1], sha256)[0]!;
    records[i] = rechained;
    const verdict = verifyChain(records, head, sha256);
    expect(verdict.intact).toBe(false);
    expect(verdict.firstBrokenPosition).toBe(i + 1);
  });

  test.each(positions)('deleting entry %d is detected at its position', (i) => {
    const records = thousand();
    const head = headOf(records);
    records.splice(i, 1);
    const verdict = verifyChain(records, head, sha256);
    expect(verdict.intact).toBe(false);
    expect(verdict.firstBrokenPosition).toBe(i);
  });

  test.each(positions.filter((i) => i < 999))('swapping entries %d and the next is detected at the first of them', (i) => {
    const records = thousand();
    const head = headOf(records);
    [records[i], records[i + 1]] = [records[i + 1]!, records[i]!];
    expect(verifyChain(records, head, sha256)).toMatchObject({ intact: false, firstBrokenPosition: i });
  });

  test('a chain whose oldest entries were trimmed by retention still verifies from its first record', () => {
    const all = thousand();
    const records = all.slice(400);
    const anchor = { seq: all[399]!.seq, hash: all[399]!.hash };
    expect(verifyChain(records, { ...headOf(records), anchor }, sha256).intact).toBe(true);
    expect(verifyChain(records, headOf(records), sha256)).toMatchObject({ intact: false, firstBrokenPosition: 0 });
  });
});
