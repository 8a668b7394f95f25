import { describe, expect, test } from 'bun:test';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { chain, GENESIS_HASH, verifyAuditLog, type AuditEvent, type AuditRecord, type ChainEnds, type VerifyPoint } from '../../src/domain/compliance/audit';
import type { AuditQuery } from '../../src/ports/audit-log.port';

const event = (i: number): AuditEvent => ({ actor: `admin:a${i % 3}`, action: 'mastery.read', target: `p${i}`, requestId: `r${i}`, outcome: 'success', at: 1_700_000_000_000 + i });
const thousand = (): AuditRecord[] => chain(Array.from({ length: 1000 }, (_, i) => event(i)), undefined, sha256);
const headOf = (rs: AuditRecord[]): ChainEnds => ({ head: { seq: rs.at(-1)!.seq, hash: rs.at(-1)!.hash }, anchor: undefined });
const PAGE = 64;

/**
 * Records as a store holds them, read the way the verifier reads a store: the ends, then pages by
 * sequence number. `largestPage` is the most records one read returned.
 */
function stored(records: AuditRecord[], ends: ChainEnds) {
  const store = {
    records,
    ends,
    largestPage: 0,
    chainEnds: async () => store.ends,
    list: async (q: AuditQuery) => {
      const page = store.records.filter((r) => r.seq >= (q.fromSeq ?? 0)).slice(0, q.limit);
      store.largestPage = Math.max(store.largestPage, page.length);
      return page;
    },
  };
  return store;
}

const verify = (records: AuditRecord[], ends: ChainEnds, opts: { from?: VerifyPoint; limit?: number } = {}) =>
  verifyAuditLog(stored(records, ends), 't', { pageSize: PAGE, ...opts }, sha256);

/** Verifies in calls of at most `limit` entries, each continuing from the last one's cursor. */
async function verifyInCalls(store: ReturnType<typeof stored>, limit: number) {
  const calls = [];
  let from: VerifyPoint | undefined;
  do {
    const verdict = await verifyAuditLog(store, 't', { pageSize: PAGE, limit, ...(from ? { from } : {}) }, sha256);
    calls.push(verdict);
    from = verdict.next ?? undefined;
  } while (from);
  return calls;
}

describe('the audit hash chain', () => {
  test('links are SHA-256 in lowercase hex, the bytes of UTF-8 text: chains written before stay verifiable', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    // Multi-byte text (names, actions in other scripts) hashes as its UTF-8 bytes.
    expect(sha256('é – 学生')).toBe('fbd8b0b8cb31ac22dddbe7699c0331e7e1d5afaa92b2589cf5cce4ddc4ee8c9a');
  });

  test('an untouched chain of 1,000 entries verifies', async () => {
    const records = thousand();
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    expect(await verify(records, headOf(records))).toEqual({ intact: true, length: 1000, checked: 1000, firstBrokenPosition: null, next: null });
  });

  test('chaining continues from the last record', async () => {
    const first = chain([event(0)], undefined, sha256);
    const next = chain([event(1)], first[0], sha256);
    expect(next[0]).toMatchObject({ seq: 1, prevHash: first[0]!.hash });
    expect((await verify([...first, ...next], headOf(next))).intact).toBe(true);
    expect(await verify([], { head: undefined, anchor: undefined })).toEqual({ intact: true, length: 0, checked: 0, firstBrokenPosition: null, next: null });
  });

  // Positions across the chain, including both ends and both sides of a page boundary.
  const positions = [0, 1, 2, PAGE - 1, PAGE, 250, 499, 500, 777, 997, 998, 999];

  test.each(positions)('editing entry %d is detected at its position', async (i) => {
    const records = thousand();
    const head = headOf(records);
    records[i] = { ...records[i]!, outcome: 'denied' };
    expect(await verify(records, head)).toMatchObject({ intact: false, firstBrokenPosition: i, next: null });
  });

  test.each(positions)('editing entry %d and re-hashing it is still detected (at the next entry, or the head)', async (i) => {
    const records = thousand();
    const head = headOf(records);
    const edited = { ...records[i]!, actor: 'admin:someone-else' };
    const rechained = chain([edited], i === 0 ? undefined : records[i - 1], sha256)[0]!;
    records[i] = rechained;
    const verdict = await verify(records, head);
    expect(verdict.intact).toBe(false);
    expect(verdict.firstBrokenPosition).toBe(i + 1);
  });

  test.each(positions)('deleting entry %d is detected at its position', async (i) => {
    const records = thousand();
    const head = headOf(records);
    records.splice(i, 1);
    const verdict = await verify(records, head);
    expect(verdict.intact).toBe(false);
    expect(verdict.firstBrokenPosition).toBe(i);
  });

  test.each(positions.filter((i) => i < 999))('swapping entries %d and the next is detected at the first of them', async (i) => {
    const records = thousand();
    const head = headOf(records);
    [records[i], records[i + 1]] = [records[i + 1]!, records[i]!];
    expect(await verify(records, head)).toMatchObject({ intact: false, firstBrokenPosition: i });
  });

  test('a chain whose oldest entries were trimmed by retention still verifies from its first record', async () => {
    const all = thousand();
    const records = all.slice(400);
    const anchor = { seq: all[399]!.seq, hash: all[399]!.hash };
    expect(await verify(records, { ...headOf(records), anchor })).toMatchObject({ intact: true, length: 600 });
    expect(await verify(records, headOf(records))).toMatchObject({ intact: false, firstBrokenPosition: 0 });
  });
});

describe('verifying a long chain a part at a time', () => {
  test('no read asks for more than a page, however long the chain', async () => {
    const store = stored(thousand(), headOf(thousand()));
    expect(await verifyAuditLog(store, 't', { pageSize: PAGE }, sha256)).toMatchObject({ intact: true, length: 1000 });
    expect(store.largestPage).toBe(PAGE);
  });

  test('calls of at most 100 entries, each continuing from the cursor of the one before, cover the whole chain', async () => {
    const records = thousand();
    const calls = await verifyInCalls(stored(records, headOf(records)), 100);
    expect(calls.map((c) => c.checked)).toEqual(Array(10).fill(100));
    expect(calls.every((c) => c.intact)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ length: 1000, next: null });
    expect(calls[0]!.next).toEqual({ seq: 99, hash: records[99]!.hash, checked: 100 });
  });

  test.each([0, 99, 100, 777, 999])('tampering with entry %d is found at its position by the call that reaches it', async (i) => {
    const records = thousand();
    const head = headOf(records);
    records[i] = { ...records[i]!, requestId: 'forged' };
    const calls = await verifyInCalls(stored(records, head), 100);
    expect(calls.length).toBe(Math.floor(i / 100) + 1);
    expect(calls.at(-1)).toMatchObject({ intact: false, firstBrokenPosition: i, next: null });
  });

  test('a cursor whose hash is not the chain’s is refused at the entry after it', async () => {
    const records = thousand();
    const verdict = await verify(records, headOf(records), { from: { seq: 99, hash: 'f'.repeat(64), checked: 100 } });
    expect(verdict).toMatchObject({ intact: false, firstBrokenPosition: 100, reason: 'previous hash does not match' });
  });

  test('a call verifies up to the head it read first; entries appended meanwhile are left to the next run', async () => {
    const records = thousand();
    expect(await verify(records, headOf(records.slice(0, 500)))).toMatchObject({ intact: true, length: 500, next: null });
  });

  test('a stream that ends before its head is broken there, also when a call stops exactly at the end of the stream', async () => {
    const records = thousand();
    const head = headOf(records);
    expect(await verify(records.slice(0, 900), head)).toMatchObject({ intact: false, firstBrokenPosition: 900 });
    const calls = await verifyInCalls(stored(records.slice(0, 900), head), 100);
    expect(calls.at(-1)).toMatchObject({ intact: false, firstBrokenPosition: 900 });
  });

  test('when retention trims the entries a cursor points into, the next call continues from the anchor', async () => {
    const all = thousand();
    const store = stored(all, headOf(all));
    const first = await verifyAuditLog(store, 't', { pageSize: PAGE, limit: 100 }, sha256);
    store.records = all.slice(400);
    store.ends = { ...headOf(all), anchor: { seq: 399, hash: all[399]!.hash } };
    const rest = await verifyAuditLog(store, 't', { pageSize: PAGE, from: first.next! }, sha256);
    expect(rest).toMatchObject({ intact: true, checked: 600, length: 700, next: null });
  });

  test('when retention trims entries while a call reads, the call continues from the new anchor', async () => {
    const all = thousand();
    const store = stored(all, headOf(all));
    const list = store.list;
    let reads = 0;
    store.list = async (q) => {
      if (++reads === 2) {
        store.records = all.slice(300);
        store.ends = { ...headOf(all), anchor: { seq: 299, hash: all[299]!.hash } };
      }
      return list(q);
    };
    expect(await verifyAuditLog(store, 't', { pageSize: PAGE }, sha256)).toMatchObject({ intact: true, length: PAGE + 700 });
  });
});
