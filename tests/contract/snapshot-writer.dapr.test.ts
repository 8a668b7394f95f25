import { expect, test } from 'bun:test';
import { DaprMasteryStore } from '../../src/adapters/dapr/mastery-store.dapr';
import { studentDaprKeys } from '../../src/adapters/dapr/keys';
import { applyEvent, dayOf, isoDay, snapshotOf, type DaySnapshot } from '../../src/domain/mastery/topic-state';
import { forEachDaprStore } from '../support/dapr-state';
import { uniqueId } from '../support/services';
import { daprStoreOptions, testPseudonymize } from '../support/stores';
import { describeSnapshotWriterContract } from './snapshot-writer.contract';

const policy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] as const };

forEachDaprStore((kind, dapr) => {
  describeSnapshotWriterContract(
    `dapr state.${kind}`,
    () => new DaprMasteryStore(dapr().client(), daprStoreOptions),
    () => new DaprMasteryStore(dapr().client(), daprStoreOptions),
  );

  test(`dapr state.${kind}: the snapshot a write follows may be sealed in a month document; after an erasure nothing comes back, there or in the document`, async () => {
    const state = dapr().client();
    // Sealing after every apply: final snapshots leave the student document at once.
    const store = new DaprMasteryStore(state, { ...daprStoreOptions, sealAbove: 0 });
    const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
    const eventAt = Date.UTC(2026, 10, 3, 12);
    const apply = (topicId: string) =>
      store.applyEvent({ ...ref, topicId, eventId: uniqueId('e'), now: Date.now(), occurredAt: eventAt, consentByDefault: true }, (current) => {
        const s = applyEvent(current, { eventId: 'e', tenantId: ref.tenantId, studentId: ref.studentId, topicId, occurredAt: eventAt, data: { type: 'quiz.completed', quizId: 'q', score: 0.8 } }, policy);
        return { state: s, snapshot: snapshotOf(topicId, s, 10, policy) };
      });
    const applied = await apply('python-basics');
    if (applied.kind !== 'applied') throw new Error('seed failed');
    const eventSnapshot = snapshotOf('python-basics', applied.state, 10, policy);
    const basis = { eventCount: applied.state.eventCount, lastAt: applied.state.lastAt };
    const recalculated = (day: string): DaySnapshot => ({ ...eventSnapshot, day, masteryScore: 0.3, recalculated: true });
    expect(await store.recordSnapshots(ref, [{ topicId: 'python-basics', basis, snapshot: recalculated('2026-11-20') }])).toEqual([{ outcome: 'written', previous: eventSnapshot }]);
    // An apply to another topic seals the event's snapshot (no longer its topic's latest) into November's document.
    await apply('web-basics');
    const keys = studentDaprKeys(ref.tenantId, testPseudonymize(ref.tenantId, ref.studentId));
    const doc = (await state.get<{ history: Record<string, DaySnapshot> }>(keys.doc))!.value;
    expect(Object.keys(doc.history)).not.toContain('python-basics|2026-11-03');
    expect((await state.get<{ snapshots: Record<string, DaySnapshot> }>(keys.historyMonth('2026-11')))!.value.snapshots['python-basics|2026-11-03']).toEqual(eventSnapshot);
    const between = recalculated('2026-11-10');
    expect(await store.recordSnapshots(ref, [{ topicId: 'python-basics', basis, snapshot: between }])).toEqual([{ outcome: 'written', previous: eventSnapshot }]);

    await store.eraseStudent(ref, Date.now());
    expect(await store.recordSnapshots(ref, [{ topicId: 'python-basics', basis, snapshot: recalculated('2026-11-21') }])).toEqual([{ outcome: 'stale' }]);
    expect(await store.getHistory(ref)).toEqual([]);
    expect((await state.get<{ snapshots?: unknown; erasedBy?: string }>(keys.historyMonth('2026-11')))!.value).toEqual({ erasedBy: expect.any(String) });
    expect(JSON.stringify((await state.get(keys.doc))!.value)).not.toContain('python-basics');
  });

  test(`dapr state.${kind}: a write keeps the student document's expiry where the latest apply set it`, async () => {
    const state = dapr().client();
    const store = new DaprMasteryStore(state, { ...daprStoreOptions, stateTtlSeconds: 3, idempotencyRetentionMs: 1000 });
    const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
    const at = Date.now() - 86_400_000;
    const applied = await store.applyEvent({ ...ref, topicId: 'python-basics', eventId: uniqueId('e'), now: Date.now(), occurredAt: at, consentByDefault: true }, (current) => {
      const s = applyEvent(current, { eventId: 'e', tenantId: ref.tenantId, studentId: ref.studentId, topicId: 'python-basics', occurredAt: at, data: { type: 'quiz.completed', quizId: 'q', score: 0.8 } }, policy);
      return { state: s, snapshot: snapshotOf('python-basics', s, 10, policy) };
    });
    if (applied.kind !== 'applied') throw new Error('seed failed');
    await Bun.sleep(1500);
    const snapshot = { ...snapshotOf('python-basics', applied.state, 10, policy), day: isoDay(dayOf(Date.now())), recalculated: true as const };
    expect(await store.recordSnapshots(ref, [{ topicId: 'python-basics', basis: { eventCount: applied.state.eventCount, lastAt: applied.state.lastAt }, snapshot }])).toMatchObject([{ outcome: 'written' }]);
    // Renewed, the document would live three seconds more; kept, it is gone about three seconds after the apply.
    await Bun.sleep(2500);
    expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
  });

  test(`dapr state.${kind}: a write keeps an erasure record that outlives the state until its retention ends`, async () => {
    const store = new DaprMasteryStore(dapr().client(), { ...daprStoreOptions, stateTtlSeconds: 2, idempotencyRetentionMs: 1000, erasureRetentionSeconds: 30 });
    const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
    const erasedAt = Date.now() - 86_400_000;
    await store.eraseStudent(ref, erasedAt);
    // Learning after the erasure starts a new state, next to the erasure record.
    const at = erasedAt + 1000;
    const applied = await store.applyEvent({ ...ref, topicId: 'python-basics', eventId: uniqueId('e'), now: Date.now(), occurredAt: at, consentByDefault: true }, (current) => {
      const s = applyEvent(current, { eventId: 'e', tenantId: ref.tenantId, studentId: ref.studentId, topicId: 'python-basics', occurredAt: at, data: { type: 'quiz.completed', quizId: 'q', score: 0.8 } }, policy);
      return { state: s, snapshot: snapshotOf('python-basics', s, 10, policy) };
    });
    if (applied.kind !== 'applied') throw new Error('seed failed');
    const snapshot = { ...snapshotOf('python-basics', applied.state, 10, policy), day: isoDay(dayOf(Date.now())), recalculated: true as const };
    expect(await store.recordSnapshots(ref, [{ topicId: 'python-basics', basis: { eventCount: applied.state.eventCount, lastAt: applied.state.lastAt }, snapshot }])).toMatchObject([{ outcome: 'written' }]);
    await Bun.sleep(3000);
    expect(await store.erasedAt(ref)).toBe(erasedAt);
  }, 15_000);

  test(`dapr state.${kind}: racing an event on another replica, a recalculated snapshot never replaces the event's own`, async () => {
    const [a, b] = [new DaprMasteryStore(dapr().client(), daprStoreOptions), new DaprMasteryStore(dapr().client(), daprStoreOptions)];
    const today = isoDay(dayOf(Date.now()));
    const apply = (store: DaprMasteryStore, ref: { tenantId: string; studentId: string }, occurredAt: number) =>
      store.applyEvent({ ...ref, topicId: 'python-basics', eventId: uniqueId('e'), now: Date.now(), occurredAt, consentByDefault: true }, (current) => {
        const s = applyEvent(current, { eventId: 'e', tenantId: ref.tenantId, studentId: ref.studentId, topicId: 'python-basics', occurredAt, data: { type: 'quiz.completed', quizId: 'q', score: 0.9 } }, policy);
        return { state: s, snapshot: snapshotOf('python-basics', s, 10, policy) };
      });
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
        const seeded = await apply(a, ref, Date.now() - 3 * 86_400_000);
        if (seeded.kind !== 'applied') throw new Error('seed failed');
        const snapshot = { ...snapshotOf('python-basics', seeded.state, 10, policy), day: today, masteryScore: 0.01, recalculated: true as const };
        const [written, event] = await Promise.all([
          a.recordSnapshots(ref, [{ topicId: 'python-basics', basis: { eventCount: seeded.state.eventCount, lastAt: seeded.state.lastAt }, snapshot }]),
          apply(b, ref, Date.now()),
        ]);
        if (event.kind !== 'applied') throw new Error('event failed');
        expect(['written', 'stale']).toContain(written[0]!.outcome);
        const todays = (await b.getHistory(ref)).find((h) => h.day === today)!;
        expect(todays.recalculated).toBeUndefined();
        expect(todays.eventCount).toBe(event.state.eventCount);
      }),
    );
  }, 15_000);
});
