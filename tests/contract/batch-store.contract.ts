import { describe, expect, test } from 'bun:test';
import type { BatchRecord, ChunkOutcome } from '../../src/domain/batch/batch';
import type { BatchStore } from '../../src/ports/batch-store.port';
import { uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';

export const BATCH_TTL_MS = 3_600_000;

/** What every store under test is built with, besides its client and clock. */
export const BATCH_OPTIONS = { ttlMs: BATCH_TTL_MS, pseudonymize: testPseudonymize };

const record = (extra: Partial<BatchRecord> = {}): BatchRecord => ({
  batchId: uniqueId('b'),
  tenantId: uniqueId('t'),
  priority: 'normal',
  total: 4,
  chunks: 2,
  processed: 0,
  succeeded: 0,
  failed: 0,
  errors: [],
  createdAt: Date.now(),
  requestedBy: 'admin:a',
  ...extra,
});

const result = (id: string) => ({ studentId: id, overall: { masteryScore: 0.5, level: 'developing' as const }, topicsRecalculated: 2 });
const chunk = (ids: string[], failed: string[] = []): ChunkOutcome => ({ results: ids.map(result), failures: failed.map((studentId) => ({ studentId, code: 'unknown_student' as const })) });

/**
 * The behaviour every BatchStore must have: run against the in-memory fake, Redis (single and cluster) and daprd's stores. `peer` is a
 * second handle on the same data over another connection (another replica), when there is one.
 */
export function describeBatchStoreContract(name: string, setup: () => BatchStore, peer: () => BatchStore = setup) {
  describe(`BatchStore contract: ${name}`, () => {
    test('a created batch reads back as given; an unknown id, or another tenant, reads as absent', async () => {
      const store = setup();
      const r = record({ topicIds: ['python-basics'] });
      await store.create(r);
      expect(await peer().get(r.tenantId, r.batchId)).toEqual(r);
      expect(await store.get(r.tenantId, uniqueId('b'))).toBeUndefined();
      expect(await store.get(uniqueId('t'), r.batchId)).toBeUndefined();
    });

    test('a chunk is counted once however often and from whichever replica it is recorded; the last one finishes the batch once', async () => {
      const [a, b] = [setup(), peer()];
      const r = record();
      await a.create(r);
      expect(await a.startChunk(r.tenantId, r.batchId, 100)).toEqual({ kind: 'run', firstStart: true });
      expect(await b.startChunk(r.tenantId, r.batchId, 200)).toEqual({ kind: 'run', firstStart: false });
      const first = await a.recordChunk(r.tenantId, r.batchId, 0, chunk(['s1', 's2']), 300);
      expect(first).toMatchObject({ kind: 'counted', finishedNow: false, record: { processed: 2, succeeded: 2, startedAt: 100 } });
      expect(await b.recordChunk(r.tenantId, r.batchId, 0, chunk(['s1', 's2']), 301)).toEqual({ kind: 'repeat' });
      const results = await Promise.all([a, b, a, b].map((s) => s.recordChunk(r.tenantId, r.batchId, 1, chunk(['s3'], ['s4']), 400)));
      expect(results.filter((x) => x.kind === 'counted')).toHaveLength(1);
      const done = results.find((x) => x.kind === 'counted')!;
      expect(done).toMatchObject({ finishedNow: true, record: { processed: 4, succeeded: 3, failed: 1, finishedAt: 400, errors: [{ code: 'unknown_student', count: 1, studentIds: ['s4'] }] } });
      const page = await b.results(r.tenantId, r.batchId, undefined, 10);
      expect(page!.items.map((i) => i.studentId)).toEqual(['s1', 's2', 's3']);
      expect(page!.items[0]).toEqual(result('s1'));
    });

    test('error groups keep every count but at most 20 example ids', async () => {
      const store = setup();
      const r = record({ total: 30, chunks: 2 });
      await store.create(r);
      const ids = Array.from({ length: 15 }, (_, i) => `x${i}`);
      await store.recordChunk(r.tenantId, r.batchId, 0, { results: [], failures: ids.map((studentId) => ({ studentId, code: 'no_consent' })) }, 1);
      await store.recordChunk(r.tenantId, r.batchId, 1, { results: [], failures: ids.map((id) => ({ studentId: `y${id}`, code: 'no_consent' })) }, 2);
      const got = await store.get(r.tenantId, r.batchId);
      expect(got!.errors).toHaveLength(1);
      expect(got!.errors[0]!.count).toBe(30);
      expect(got!.errors[0]!.studentIds).toHaveLength(20);
      expect(got!.finishedAt).toBe(2);
    });

    test('results page by cursor; a cursor the store did not make is refused', async () => {
      const store = setup();
      const r = record({ total: 5, chunks: 1 });
      await store.create(r);
      await store.recordChunk(r.tenantId, r.batchId, 0, chunk(['a', 'b', 'c', 'd', 'e']), 1);
      const p1 = await store.results(r.tenantId, r.batchId, undefined, 2);
      const p2 = await store.results(r.tenantId, r.batchId, p1!.nextCursor, 2);
      const p3 = await store.results(r.tenantId, r.batchId, p2!.nextCursor, 2);
      expect([p1, p2, p3].flatMap((p) => p!.items.map((i) => i.studentId))).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(p3!.nextCursor).toBeUndefined();
      expect(await store.results(r.tenantId, r.batchId, 'abc', 2)).toBeUndefined();
      expect(await store.results(r.tenantId, uniqueId('b'), undefined, 2)).toBeUndefined();
    });

    test('a cancel stops chunks from starting on every replica; a finished batch cannot be cancelled', async () => {
      const [a, b] = [setup(), peer()];
      const r = record();
      await a.create(r);
      expect(await a.cancel(r.tenantId, r.batchId, 50)).toMatchObject({ cancelledAt: 50 });
      expect(await b.startChunk(r.tenantId, r.batchId, 60)).toEqual({ kind: 'cancelled' });
      expect(await a.cancel(uniqueId('t'), r.batchId, 50)).toBeUndefined();
      const done = record({ total: 1, chunks: 1 });
      await a.create(done);
      await a.recordChunk(done.tenantId, done.batchId, 0, chunk(['s']), 10);
      expect((await b.cancel(done.tenantId, done.batchId, 20))!.cancelledAt).toBeUndefined();
      expect(await a.startChunk(uniqueId('t'), r.batchId, 1)).toEqual({ kind: 'unknown' });
      expect(await a.recordChunk(uniqueId('t'), r.batchId, 0, chunk(['s']), 1)).toEqual({ kind: 'unknown' });
    });

    test('a batch expires BATCH_TTL_DAYS after its creation', async () => {
      const store = setup();
      const r = record({ createdAt: Date.now() - BATCH_TTL_MS - 1000 });
      await store.create(r);
      expect(await store.get(r.tenantId, r.batchId)).toBeUndefined();
    });

    test('forgetting a student removes their results and example ids from every live batch of the tenant, on every replica, also from chunks counted later; counts and cursors stay', async () => {
      const [a, b] = [setup(), peer()];
      const tenantId = uniqueId('t');
      const one = record({ tenantId, total: 5, chunks: 2 });
      const two = record({ tenantId, total: 2, chunks: 1 });
      const later = record({ tenantId, total: 4, chunks: 2 });
      const other = record({ total: 1, chunks: 1 });
      for (const r of [one, two, later, other]) await a.create(r);
      await a.recordChunk(tenantId, later.batchId, 0, chunk(['s5']), 14);
      await a.recordChunk(tenantId, one.batchId, 0, chunk(['s1', 'gone', 's2']), 10);
      await a.recordChunk(tenantId, one.batchId, 1, { results: [], failures: [{ studentId: 'gone', code: 'no_consent' }, { studentId: 's3', code: 'no_consent' }] }, 11);
      await a.recordChunk(tenantId, two.batchId, 0, chunk(['s4'], ['gone']), 12);
      await a.recordChunk(other.tenantId, other.batchId, 0, chunk(['gone']), 13);
      const firstPage = (await a.results(tenantId, one.batchId, undefined, 2))!;
      expect(firstPage.items.map((i) => i.studentId)).toEqual(['s1', 'gone']);

      await b.forgetStudent(tenantId, 'gone', 20);

      const got = (await a.get(tenantId, one.batchId))!;
      expect(got).toMatchObject({ total: 5, processed: 5, succeeded: 3, failed: 2, finishedAt: 11 });
      expect(got.errors).toEqual([{ code: 'no_consent', count: 2, studentIds: ['s3'] }]);
      expect((await a.results(tenantId, one.batchId, undefined, 10))!.items.map((i) => i.studentId)).toEqual(['s1', 's2']);
      // A cursor made before the erasure still starts where it did: nobody is skipped or repeated.
      expect((await a.results(tenantId, one.batchId, firstPage.nextCursor, 2))!.items.map((i) => i.studentId)).toEqual(['s2']);
      const second = (await b.get(tenantId, two.batchId))!;
      expect(second).toMatchObject({ processed: 2, succeeded: 1, failed: 1 });
      expect(second.errors).toEqual([{ code: 'unknown_student', count: 1, studentIds: [] }]);
      expect(JSON.stringify(await a.results(tenantId, two.batchId, undefined, 10))).not.toContain('gone');
      // A chunk recalculated before the erasure and counted after it: counted, but no result or example of theirs kept.
      await b.recordChunk(tenantId, later.batchId, 1, { results: [result('gone'), result('s6')], failures: [{ studentId: 'gone', code: 'no_consent' }] }, 22);
      const late = (await a.get(tenantId, later.batchId))!;
      expect(late).toMatchObject({ processed: 4, succeeded: 3, failed: 1, finishedAt: 22 });
      expect(late.errors).toEqual([{ code: 'no_consent', count: 1, studentIds: [] }]);
      expect((await a.results(tenantId, later.batchId, undefined, 10))!.items.map((i) => i.studentId)).toEqual(['s5', 's6']);
      // Another tenant's student of the same id is someone else.
      expect((await a.results(other.tenantId, other.batchId, undefined, 10))!.items.map((i) => i.studentId)).toEqual(['gone']);
      // Idempotent; a tenant without batches is fine.
      await a.forgetStudent(tenantId, 'gone', 21);
      await a.forgetStudent(uniqueId('t'), 'gone', 21);
      expect((await a.get(tenantId, one.batchId))!.errors).toEqual([{ code: 'no_consent', count: 2, studentIds: ['s3'] }]);
    });

    test('values returned are copies', async () => {
      const store = setup();
      const r = record();
      await store.create(r);
      const got = (await store.get(r.tenantId, r.batchId))!;
      got.processed = 99;
      r.total = 99;
      expect((await store.get(r.tenantId, r.batchId))!).toMatchObject({ processed: 0, total: 4 });
    });
  });
}
