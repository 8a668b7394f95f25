import { expect, test } from 'bun:test';
import { systemClock } from '../../src/adapters/clock/clock.system';
import { DaprBatchStore } from '../../src/adapters/dapr/batch-store.dapr';
import { batchChunkDaprKey, batchDaprKey } from '../../src/adapters/dapr/keys';
import { forEachDaprStore } from '../support/dapr-state';
import { uniqueId } from '../support/services';
import { testPseudonymize } from '../support/stores';
import { BATCH_OPTIONS, describeBatchStoreContract } from './batch-store.contract';

const options = { clock: systemClock, ...BATCH_OPTIONS };

forEachDaprStore((kind, dapr) => {
  describeBatchStoreContract(
    `dapr state.${kind}`,
    () => new DaprBatchStore(dapr().client(), options),
    () => new DaprBatchStore(dapr().client(), options),
  );

  test(`dapr state.${kind}: results live in one document per chunk, the batch document holds only their index; paging crosses chunks`, async () => {
    const state = dapr().client();
    const store = new DaprBatchStore(state, options);
    const tenantId = uniqueId('t');
    const batchId = uniqueId('b');
    const size = 250;
    await store.create({ batchId, tenantId, priority: 'low', total: 4 * size, chunks: 4, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
    const ids = (chunk: number) => Array.from({ length: size }, (_, i) => `s${chunk}-${i}`);
    const outcome = (chunk: number) => ({ results: ids(chunk).map((studentId) => ({ studentId, overall: { masteryScore: 0.5, level: 'developing' as const }, topicsRecalculated: 3 })), failures: [] });
    // Counted out of order: results come in counting order.
    for (const chunk of [2, 0, 3, 1]) await store.recordChunk(tenantId, batchId, chunk, outcome(chunk), 1);
    const batchDoc = JSON.stringify((await state.get(batchDaprKey(tenantId, batchId)))!.value);
    expect(batchDoc.length).toBeLessThan(1000);
    expect(batchDoc).not.toContain('s0-0');
    expect((await state.get<{ results: unknown[] }>(batchChunkDaprKey(tenantId, batchId, 3)))!.value.results).toHaveLength(size);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await store.results(tenantId, batchId, cursor, 333))!;
      seen.push(...page.items.map((r) => r.studentId));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual([2, 0, 3, 1].flatMap(ids));
  });

  test(`dapr state.${kind}: a redelivered chunk whose recalculation came out differently counts the outcome stored first, once`, async () => {
    const [a, b] = [new DaprBatchStore(dapr().client(), options), new DaprBatchStore(dapr().client(), options)];
    const tenantId = uniqueId('t');
    const batchId = uniqueId('b');
    await a.create({ batchId, tenantId, priority: 'high', total: 2, chunks: 1, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
    const ok = (studentId: string) => ({ studentId, overall: { masteryScore: 0.9, level: 'mastered' as const }, topicsRecalculated: 1 });
    const first = { results: [ok('x'), ok('y')], failures: [] };
    const second = { results: [ok('x')], failures: [{ studentId: 'y', code: 'no_consent' as const }] };
    const counts = await Promise.all([a.recordChunk(tenantId, batchId, 0, first, 5), b.recordChunk(tenantId, batchId, 0, second, 6)]);
    expect(counts.filter((c) => c.kind === 'counted')).toHaveLength(1);
    const record = (await b.get(tenantId, batchId))!;
    const page = (await b.results(tenantId, batchId, undefined, 10))!;
    expect(record.processed).toBe(2);
    expect(record.succeeded).toBe(page.items.length);
    expect(record.failed).toBe(2 - page.items.length);
  });

  test(`dapr state.${kind}: twenty chunks, each delivered twice, recorded at once by two replicas: every student counted once, finished once`, async () => {
    const [a, b] = [new DaprBatchStore(dapr().client(), options), new DaprBatchStore(dapr().client(), options)];
    const tenantId = uniqueId('t');
    const batchId = uniqueId('b');
    await a.create({ batchId, tenantId, priority: 'normal', total: 40, chunks: 20, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
    const outcome = (chunk: number) => ({ results: [0, 1].map((i) => ({ studentId: `s${chunk}-${i}`, overall: { masteryScore: 0.5, level: 'developing' as const }, topicsRecalculated: 1 })), failures: [] });
    const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).recordChunk(tenantId, batchId, i % 20, outcome(i % 20), 7)));
    expect(counts.filter((c) => c.kind === 'counted')).toHaveLength(20);
    expect(counts.filter((c) => c.kind === 'counted' && c.finishedNow)).toHaveLength(1);
    expect(await b.get(tenantId, batchId)).toMatchObject({ processed: 40, succeeded: 40, finishedAt: 7 });
    const page = (await a.results(tenantId, batchId, undefined, 100))!;
    expect(page.items.map((r) => r.studentId).sort()).toEqual(Array.from({ length: 20 }, (_, c) => [`s${c}-0`, `s${c}-1`]).flat().sort());
  });

  test(`dapr state.${kind}: an erased student leaves the stored documents, not only the answers, also a chunk counted after the erasure`, async () => {
    const state = dapr().client();
    const [a, b] = [new DaprBatchStore(state, options), new DaprBatchStore(dapr().client(), options)];
    const tenantId = uniqueId('t');
    const batchId = uniqueId('b');
    await a.create({ batchId, tenantId, priority: 'normal', total: 4, chunks: 2, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
    const ok = (studentId: string) => ({ studentId, overall: { masteryScore: 0.7, level: 'proficient' as const }, topicsRecalculated: 1 });
    await a.recordChunk(tenantId, batchId, 0, { results: [ok('gone'), ok('s1')], failures: [] }, 1);
    const stored = async () => JSON.stringify(await state.getMany([batchDaprKey(tenantId, batchId), batchChunkDaprKey(tenantId, batchId, 0), batchChunkDaprKey(tenantId, batchId, 1)]));
    expect(await stored()).toContain('"gone"');
    await b.forgetStudent(tenantId, 'gone', Date.now());
    await a.recordChunk(tenantId, batchId, 1, { results: [ok('gone')], failures: [{ studentId: 'gone', code: 'no_consent' }] }, 2);
    expect(await stored()).not.toContain('"gone"');
    // The batch document keeps the student's pseudonym, so chunks counted later leave them out.
    expect((await state.get<{ erased: string[] }>(batchDaprKey(tenantId, batchId)))!.value.erased).toEqual([testPseudonymize(tenantId, 'gone')]);
    expect((await a.results(tenantId, batchId, undefined, 10))!.items.map((r) => r.studentId)).toEqual(['s1']);
  });

  test(`dapr state.${kind}: every key of a batch leaves the store at the batch's expiry from creation, which later writes do not move`, async () => {
    const state = dapr().client();
    const store = new DaprBatchStore(state, { ...options, ttlMs: 4000 });
    const tenantId = uniqueId('t');
    const batchId = uniqueId('b');
    await store.create({ batchId, tenantId, priority: 'low', total: 2, chunks: 2, processed: 0, succeeded: 0, failed: 0, errors: [], createdAt: Date.now(), requestedBy: 'admin:a' });
    await Bun.sleep(2000);
    await store.startChunk(tenantId, batchId, Date.now());
    await store.recordChunk(tenantId, batchId, 0, { results: [{ studentId: 's', overall: { masteryScore: 0.5, level: 'developing' }, topicsRecalculated: 1 }], failures: [] }, Date.now());
    expect(await state.get(batchChunkDaprKey(tenantId, batchId, 0))).toBeDefined();
    // Past creation + 4 s, a second before the writes + 4 s: the store itself no longer has them.
    await Bun.sleep(3000);
    expect(await state.getMany([batchDaprKey(tenantId, batchId), batchChunkDaprKey(tenantId, batchId, 0)])).toEqual([undefined, undefined]);
  }, 15_000);
});
