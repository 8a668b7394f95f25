import { describe, expect, test } from 'bun:test';
import { applyEvent, dayOf, isoDay, snapshotOf, type DaySnapshot } from '../../src/domain/mastery/topic-state';
import type { MasteryStore } from '../../src/ports/mastery-store.port';
import type { SnapshotWriter } from '../../src/ports/snapshot-writer.port';
import { uniqueId } from '../support/services';

const policy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] as const };
const at = Date.now() - 3 * 86_400_000;

/** The behaviour every SnapshotWriter must have, over the MasteryStore whose history it writes. */
export function describeSnapshotWriterContract(name: string, setup: () => MasteryStore & SnapshotWriter, peer: () => MasteryStore & SnapshotWriter = setup) {
  describe(`SnapshotWriter contract: ${name}`, () => {
    async function seeded(store = setup()) {
      const ref = { tenantId: uniqueId('t'), studentId: uniqueId('s') };
      const event = { eventId: uniqueId('e'), tenantId: ref.tenantId, studentId: ref.studentId, topicId: 'python-basics', occurredAt: at, data: { type: 'quiz.completed' as const, quizId: 'q', score: 0.8 } };
      const outcome = await store.applyEvent({ ...ref, topicId: 'python-basics', eventId: event.eventId, now: Date.now(), occurredAt: at, consentByDefault: true }, (current) => {
        const state = applyEvent(current, event, policy);
        return { state, snapshot: snapshotOf('python-basics', state, 10, policy) };
      });
      if (outcome.kind !== 'applied') throw new Error('seed failed');
      return { store, ref, state: outcome.state, eventSnapshot: snapshotOf('python-basics', outcome.state, 10, policy) };
    }
    const recalculated = (day: string, score: number): DaySnapshot => ({ topicId: 'python-basics', day, masteryScore: score, components: { completion: 0, quiz: 0.8, quality: 0, consistency: 0 }, at, eventCount: 1, recalculated: true });

    test('a snapshot computed from the current state is written once, after the one it follows; the same again is unchanged; history shows it', async () => {
      const { store, ref, state, eventSnapshot } = await seeded();
      const today = isoDay(dayOf(Date.now()));
      const write = { topicId: 'python-basics', basis: { eventCount: state.eventCount, lastAt: state.lastAt }, snapshot: recalculated(today, 0.24) };
      expect(await store.recordSnapshots(ref, [write])).toEqual([{ outcome: 'written', previous: eventSnapshot }]);
      expect(await peer().recordSnapshots(ref, [write])).toEqual([{ outcome: 'unchanged', previous: write.snapshot }]);
      const history = await peer().getHistory(ref);
      expect(history).toHaveLength(2);
      expect(history[1]).toEqual(write.snapshot);
    });

    test('a snapshot from a state an event has since replaced, from an erased student or of an unknown topic is stale and not written', async () => {
      const { store, ref, state } = await seeded();
      const old = { topicId: 'python-basics', basis: { eventCount: state.eventCount - 1, lastAt: state.lastAt }, snapshot: recalculated(isoDay(dayOf(Date.now())), 0.1) };
      const unknown = { ...old, topicId: 'web-basics', basis: { eventCount: 1, lastAt: at } };
      expect(await store.recordSnapshots(ref, [old, unknown])).toEqual([{ outcome: 'stale' }, { outcome: 'stale' }]);
      const current = { ...old, basis: { eventCount: state.eventCount, lastAt: state.lastAt } };
      expect((await store.recordSnapshots(ref, [old, current, unknown])).map((r) => r.outcome)).toEqual(['stale', 'written', 'stale']);
      expect((await store.getHistory(ref)).at(-1)).toEqual(current.snapshot);
      await peer().eraseStudent(ref, Date.now());
      const fresh = { ...old, basis: { eventCount: state.eventCount, lastAt: state.lastAt } };
      expect(await store.recordSnapshots(ref, [fresh])).toEqual([{ outcome: 'stale' }]);
      expect(await store.getHistory(ref)).toEqual([]);
    });

    test('many students written at once (as a batch chunk does) each get their own outcome, and only their own history changes', async () => {
      const store = setup();
      const students = await Promise.all(Array.from({ length: 40 }, () => seeded(store)));
      const today = isoDay(dayOf(Date.now()));
      // Every fifth one is stale (an event since), the others current; all issued in the same tick.
      const writes = students.map(({ state }, i) => ({ topicId: 'python-basics', basis: { eventCount: state.eventCount - (i % 5 === 0 ? 1 : 0), lastAt: state.lastAt }, snapshot: recalculated(today, i / 100) }));
      const results = await Promise.all(students.map(({ ref }, i) => store.recordSnapshots(ref, [writes[i]!])));
      results.forEach((r, i) => expect(r).toEqual(i % 5 === 0 ? [{ outcome: 'stale' }] : [{ outcome: 'written', previous: students[i]!.eventSnapshot }]));
      const histories = await Promise.all(students.map(({ ref }) => peer().getHistory(ref)));
      histories.forEach((h, i) => expect(h).toEqual(i % 5 === 0 ? [students[i]!.eventSnapshot] : [students[i]!.eventSnapshot, writes[i]!.snapshot]));
    });

    test('readStudents answers the topics and consent of each student as listTopicsMany and getConsentMany do, for many at once, unknown and erased ones included', async () => {
      const store = setup();
      const students = await Promise.all(Array.from({ length: 30 }, () => seeded(store)));
      const [withdrawn, granted, erased] = students;
      await peer().setConsent(withdrawn!.ref, { analytics: false, updatedAt: at });
      await peer().setConsent(granted!.ref, { analytics: true, updatedAt: at + 1 });
      await peer().eraseStudent(erased!.ref, Date.now());
      const refs = [...students.map((s) => s.ref), { tenantId: students[0]!.ref.tenantId, studentId: uniqueId('unknown') }];
      const read = await store.readStudents(refs);
      expect(read).toHaveLength(refs.length);
      expect(read).toEqual((await Promise.all([peer().listTopicsMany(refs), peer().getConsentMany(refs)]).then(([topics, consents]) => refs.map((_, i) => ({ topics: topics[i]!, consent: consents[i] })))));
      expect(read[0]!.consent).toEqual({ analytics: false, updatedAt: at });
      expect(read[1]!.consent).toEqual({ analytics: true, updatedAt: at + 1 });
      expect(read[2]!.topics.size).toBe(0);
      expect(read[3]!.topics.get('python-basics')).toEqual(students[3]!.state);
      expect(read.at(-1)).toEqual({ topics: new Map(), consent: undefined });
    });

    test('in one call, each topic finds the snapshot it follows over its own days, whatever day each write is for', async () => {
      const { store, ref, state: a, eventSnapshot: aEvent } = await seeded();
      // A second topic whose latest event is two days ago, not three.
      const bAt = Date.now() - 2 * 86_400_000;
      const bEvent = { eventId: uniqueId('e'), tenantId: ref.tenantId, studentId: ref.studentId, topicId: 'control-flow', occurredAt: bAt, data: { type: 'quiz.completed' as const, quizId: 'q', score: 0.6 } };
      const applied = await store.applyEvent({ ...ref, topicId: 'control-flow', eventId: bEvent.eventId, now: Date.now(), occurredAt: bAt, consentByDefault: true }, (current) => {
        const state = applyEvent(current, bEvent, policy);
        return { state, snapshot: snapshotOf('control-flow', state, 10, policy) };
      });
      if (applied.kind !== 'applied') throw new Error('seed failed');
      const b = applied.state;
      const today = dayOf(Date.now());
      const onA = (day: number, score: number) => ({ topicId: 'python-basics', basis: { eventCount: a.eventCount, lastAt: a.lastAt }, snapshot: recalculated(isoDay(day), score) });
      const onB = (day: number, score: number) => ({ topicId: 'control-flow', basis: { eventCount: b.eventCount, lastAt: b.lastAt }, snapshot: { ...recalculated(isoDay(day), score), topicId: 'control-flow', at: bAt } });
      // Two days ago for the first topic, yesterday for the second: each follows its event's snapshot.
      expect(await store.recordSnapshots(ref, [onA(today - 2, 0.3), onB(today - 1, 0.5)])).toEqual([
        { outcome: 'written', previous: aEvent },
        { outcome: 'written', previous: snapshotOf('control-flow', b, 10, policy) },
      ]);
      // Today for both: each follows its own latest, found one and two days back.
      expect(await peer().recordSnapshots(ref, [onB(today, 0.55), onA(today, 0.35)])).toEqual([
        { outcome: 'written', previous: onB(today - 1, 0.5).snapshot },
        { outcome: 'written', previous: onA(today - 2, 0.3).snapshot },
      ]);
    });
  });
}
