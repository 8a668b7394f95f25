import { describe, expect, test } from 'bun:test';
import { parseLearningEvent } from '../../src/domain/mastery/event';
import { applyEvent, snapshotOf, type ModelPolicy, type TopicState } from '../../src/domain/mastery/topic-state';
import type { ApplyRequest, MasteryStore, StudentRef, TopicChange } from '../../src/ports/mastery-store.port';
import { wireEvent, type WireEvent } from '../support/events';
import { uniqueId } from '../support/services';

const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };
export const CONTRACT_NOW = Date.UTC(2026, 0, 20);

export interface StoreUnderTest {
  store: MasteryStore;
  /** A second, independent handle on the same data (another connection or replica), when the backend has one. */
  peer?: MasteryStore;
}

/** A student no other test (or parallel suite on the same server) uses. */
export const freshStudent = (tenantId = uniqueId('tenant')): StudentRef => ({ tenantId, studentId: uniqueId('student') });

/** Applies a wire event through the real domain reducer, as the engine does. */
export function applyWire(store: MasteryStore, ref: StudentRef, overrides: Partial<WireEvent> = {}, now = CONTRACT_NOW) {
  const parsed = parseLearningEvent(wireEvent({ student_id: ref.studentId, tenant_id: ref.tenantId, ...overrides }));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const event = parsed.event;
  const req: ApplyRequest = { ...ref, topicId: event.topicId, eventId: event.eventId, now, occurredAt: event.occurredAt, consentByDefault: true };
  const change = (current: TopicState | undefined): TopicChange => {
    const state = applyEvent(current, event, policy);
    return { state, snapshot: snapshotOf(event.topicId, state, 5, policy) };
  };
  return store.applyEvent(req, change);
}

/**
 * The behaviour every MasteryStore must have, run against each implementation: the in-memory
 * fake, Redis, and the breaker wrapper. A fake that drifts from the real store fails here.
 */
export function describeMasteryStoreContract(name: string, setup: () => StoreUnderTest) {
  describe(`MasteryStore contract: ${name}`, () => {
    test('an unknown student reads as absent, not as an error', async () => {
      const { store } = setup();
      const ref = freshStudent();
      expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
      expect((await store.listTopics(ref)).size).toBe(0);
      expect(await store.getHistory(ref)).toEqual([]);
    });

    test('an applied event is readable by topic, in the topic list and in the history', async () => {
      const { store } = setup();
      const ref = freshStudent();
      const outcome = await applyWire(store, ref, { event_id: 'e1', occurred_at: '2026-01-14T10:00:00Z', data: { quiz_id: 'q', score: 0.5 } });
      expect(outcome.kind).toBe('applied');
      const state = await store.getTopic(ref, 'python-basics');
      expect(state?.eventCount).toBe(1);
      expect(state?.quiz.n).toBe(1);
      expect([...(await store.listTopics(ref)).keys()]).toEqual(['python-basics']);
      const history = await store.getHistory(ref);
      expect(history.map((h) => [h.topicId, h.day])).toEqual([['python-basics', '2026-01-14']]);
    });

    test('the same event id twice is applied once', async () => {
      const { store } = setup();
      const ref = freshStudent();
      const first = await applyWire(store, ref, { event_id: 'same' });
      const second = await applyWire(store, ref, { event_id: 'same', data: { quiz_id: 'q', score: 0.1 } });
      expect([first.kind, second.kind]).toEqual(['applied', 'duplicate']);
      const state = await store.getTopic(ref, 'python-basics');
      expect(state?.eventCount).toBe(1);
      expect(state?.quiz.s).toBe(0.8);
    });

    test('a duplicate on another topic changes nothing either', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await applyWire(store, ref, { event_id: 'x', topic_id: 'functions' });
      expect((await applyWire(store, ref, { event_id: 'x', topic_id: 'oop' })).kind).toBe('duplicate');
      expect([...(await store.listTopics(ref)).keys()]).toEqual(['functions']);
    });

    test('100 concurrent applies on one student lose nothing', async () => {
      const { store } = setup();
      const ref = freshStudent();
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, (_, i) => applyWire(store, ref, { event_id: `c${i}`, topic_id: i % 2 ? 'functions' : 'oop' })),
      );
      expect(outcomes.every((o) => o.kind === 'applied')).toBe(true);
      const topics = await store.listTopics(ref);
      expect(topics.get('functions')?.eventCount).toBe(50);
      expect(topics.get('oop')?.eventCount).toBe(50);
    });

    test('100 concurrent deliveries of one event id apply it exactly once', async () => {
      const { store } = setup();
      const ref = freshStudent();
      const outcomes = await Promise.all(Array.from({ length: 100 }, () => applyWire(store, ref, { event_id: 'storm' })));
      expect(outcomes.filter((o) => o.kind === 'applied').length).toBe(1);
      expect((await store.getTopic(ref, 'python-basics'))?.eventCount).toBe(1);
    });

    test('students and tenants are isolated', async () => {
      const { store } = setup();
      const a = freshStudent();
      const sameIdOtherTenant = { tenantId: uniqueId('tenant'), studentId: a.studentId };
      const otherStudentSameTenant = { tenantId: a.tenantId, studentId: uniqueId('student') };
      await applyWire(store, a, { event_id: 'shared-id' });
      expect(await store.getTopic(sameIdOtherTenant, 'python-basics')).toBeUndefined();
      expect(await store.getTopic(otherStudentSameTenant, 'python-basics')).toBeUndefined();
      // An event id is scoped to its student: the same id elsewhere is a different event.
      expect((await applyWire(store, sameIdOtherTenant, { event_id: 'shared-id' })).kind).toBe('applied');
      await store.eraseStudent(sameIdOtherTenant, CONTRACT_NOW);
      expect((await store.getTopic(a, 'python-basics'))?.eventCount).toBe(1);
    });

    test('ids that look alike across tenant and student do not collide', async () => {
      const { store } = setup();
      const t = uniqueId('t');
      await applyWire(store, { tenantId: `${t}:a`, studentId: 'b' }, { event_id: 'e' });
      expect(await store.getTopic({ tenantId: t, studentId: 'a:b' }, 'python-basics')).toBeUndefined();
    });

    test('reads return copies the caller may change freely', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await applyWire(store, ref, { event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } });
      const first = await store.getTopic(ref, 'python-basics');
      first!.lessons.push('tampered');
      first!.eventCount = 999;
      (await store.listTopics(ref)).get('python-basics')!.lessons.push('tampered');
      (await store.getHistory(ref))[0]!.masteryScore = 42;
      const again = await store.getTopic(ref, 'python-basics');
      expect(again?.lessons).toEqual(['python-basics.intro']);
      expect(again?.eventCount).toBe(1);
      expect((await store.getHistory(ref))[0]!.masteryScore).not.toBe(42);
    });

    test('batch reads answer each student in the order asked, as single reads do, through either handle', async () => {
      const { store, peer } = setup();
      const reader = peer ?? store;
      const tenantId = uniqueId('tenant');
      const [a, b, none] = [freshStudent(tenantId), freshStudent(tenantId), freshStudent(tenantId)];
      await applyWire(store, a, { topic_id: 'oop' });
      await applyWire(store, a, { topic_id: 'functions' });
      await applyWire(store, b, { event_type: 'lesson.completed', data: { lesson_id: 'python-basics.intro' } });
      await store.setConsent(b, { analytics: false, updatedAt: CONTRACT_NOW });
      await store.setConsent(a, { analytics: true, updatedAt: CONTRACT_NOW + 1 });
      const refs = [b, none, a, b];
      const topics = await reader.listTopicsMany(refs);
      expect(topics).toEqual(await Promise.all(refs.map((r) => store.listTopics(r))));
      expect(topics.map((t) => [...t.keys()].sort())).toEqual([['python-basics'], [], ['functions', 'oop'], ['python-basics']]);
      expect(await reader.getConsentMany(refs)).toEqual([
        { analytics: false, updatedAt: CONTRACT_NOW },
        undefined,
        { analytics: true, updatedAt: CONTRACT_NOW + 1 },
        { analytics: false, updatedAt: CONTRACT_NOW },
      ]);
      topics[0]!.get('python-basics')!.lessons.push('tampered');
      expect((await store.getTopic(b, 'python-basics'))?.lessons).toEqual(['python-basics.intro']);
      expect(await reader.listTopicsMany([])).toEqual([]);
      expect(await reader.getConsentMany([])).toEqual([]);
    });

    test('the evidence token changes with every applied event and erasure, and both handles read the same token for the same state', async () => {
      const { store, peer } = setup();
      const [a, b] = [store, peer ?? store];
      const ref = freshStudent();
      const other = { ...ref, studentId: uniqueId('student') };
      const empty = await a.evidenceToken(ref);
      expect(await b.evidenceToken(other)).toBe(empty);
      const seen = [empty];
      const next = async (applied: Promise<unknown>) => {
        await applied;
        const token = await a.evidenceToken(ref);
        expect(seen).not.toContain(token);
        expect(await b.evidenceToken(ref)).toBe(token);
        seen.push(token);
      };
      await next(applyWire(a, ref, { event_id: 'e1', occurred_at: '2026-01-14T10:00:00Z' }));
      // A duplicate, and another student's event, leave it as it was.
      expect((await applyWire(b, ref, { event_id: 'e1', occurred_at: '2026-01-14T10:00:00Z' })).kind).toBe('duplicate');
      expect((await applyWire(b, other, { event_id: 'e1', occurred_at: '2026-01-14T10:00:00Z' })).kind).toBe('applied');
      expect(await b.evidenceToken(ref)).toBe(seen[1]!);
      await next(applyWire(b, ref, { event_id: 'e2', topic_id: 'functions', occurred_at: '2026-01-14T11:00:00Z' }));
      // An event older than the latest still changes the evidence.
      await next(applyWire(a, ref, { event_id: 'e3', occurred_at: '2026-01-10T09:00:00Z' }));
      await b.eraseStudent(ref, Date.parse('2026-01-15T00:00:00Z'));
      // Erased: no topic states, as before the first event.
      expect(await a.evidenceToken(ref)).toBe(empty);
      await next(applyWire(b, ref, { event_id: 'e4', occurred_at: '2026-01-16T10:00:00Z' }));
    });

    test('history keeps one snapshot per topic and day, the day’s last value, filtered by range', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await applyWire(store, ref, { occurred_at: '2026-01-10T09:00:00Z', data: { quiz_id: 'q', score: 0.2 } });
      await applyWire(store, ref, { occurred_at: '2026-01-10T18:00:00Z', data: { quiz_id: 'q', score: 1 } });
      await applyWire(store, ref, { occurred_at: '2026-01-12T09:00:00Z', data: { quiz_id: 'q', score: 1 } });
      await applyWire(store, ref, { topic_id: 'oop', occurred_at: '2026-01-11T09:00:00Z' });
      const all = await store.getHistory(ref);
      expect(all.map((h) => `${h.topicId}@${h.day}`)).toEqual(['oop@2026-01-11', 'python-basics@2026-01-10', 'python-basics@2026-01-12']);
      expect(all[1]!.at).toBe(Date.parse('2026-01-10T18:00:00Z'));
      const ranged = await store.getHistory({ ...ref, topicId: 'python-basics', fromDay: '2026-01-11', toDay: '2026-01-12' });
      expect(ranged.map((h) => h.day)).toEqual(['2026-01-12']);
    });

    test('erasing a student removes state, history, idempotency records and consent, and is idempotent', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await applyWire(store, ref, { event_id: 'gone', occurred_at: '2026-01-14T10:00:00Z' });
      await store.setConsent(ref, { analytics: true, updatedAt: CONTRACT_NOW });
      await store.eraseStudent(ref, CONTRACT_NOW);
      await store.eraseStudent(ref, CONTRACT_NOW);
      expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
      expect((await store.listTopics(ref)).size).toBe(0);
      expect(await store.getHistory(ref)).toEqual([]);
      expect(await store.getConsent(ref)).toBeUndefined();
    });

    test('after an erasure, events that occurred before it never bring data back; later ones are new data', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await applyWire(store, ref, { event_id: 'old', occurred_at: '2026-01-14T10:00:00Z' });
      await store.eraseStudent(ref, Date.parse('2026-01-15T00:00:00Z'));
      expect((await applyWire(store, ref, { event_id: 'old', occurred_at: '2026-01-14T10:00:00Z' })).kind).toBe('erased');
      expect((await applyWire(store, ref, { event_id: 'replayed-under-new-id', occurred_at: '2026-01-14T23:59:59Z' })).kind).toBe('erased');
      expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
      expect((await applyWire(store, ref, { event_id: 'new', occurred_at: '2026-01-15T00:00:01Z' })).kind).toBe('applied');
      expect((await store.getTopic(ref, 'python-basics'))?.eventCount).toBe(1);
    });

    test('an erasure through one handle never lets the other bring erased data back or lose a newer event', async () => {
      const { store, peer } = setup();
      const [a, b] = [store, peer ?? store];
      const ref = freshStudent();
      expect((await applyWire(a, ref, { event_type: 'lesson.completed', occurred_at: '2026-01-14T10:00:00Z', data: { lesson_id: 'python-basics.intro' } })).kind).toBe('applied');
      await b.eraseStudent(ref, Date.parse('2026-01-15T00:00:00Z'));
      const lesson2 = { event_type: 'lesson.completed', occurred_at: '2026-01-16T10:00:00Z', data: { lesson_id: 'python-basics.variables' } };
      expect((await applyWire(b, ref, lesson2)).kind).toBe('applied');
      expect((await applyWire(a, ref, { event_type: 'practice.session', occurred_at: '2026-01-16T11:00:00Z', data: { minutes: 20 } })).kind).toBe('applied');
      const state = await b.getTopic(ref, 'python-basics');
      expect(state?.lessons).toEqual(['python-basics.variables']);
      expect(state?.eventCount).toBe(2);
      expect(state?.practiceMinutes).toBe(20);
    });

    test('the latest erasure time wins', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await store.eraseStudent(ref, Date.parse('2026-01-15T00:00:00Z'));
      await store.eraseStudent(ref, Date.parse('2026-01-10T00:00:00Z'));
      expect(await store.erasedAt(ref)).toBe(Date.parse('2026-01-15T00:00:00Z'));
      expect(await store.erasedAt(freshStudent())).toBeUndefined();
      expect((await applyWire(store, ref, { occurred_at: '2026-01-12T00:00:00Z' })).kind).toBe('erased');
    });

    test('erasedSince names the students of a list erased at or after a time, whichever handle erased them', async () => {
      const { store, peer } = setup();
      const other = peer ?? store;
      const tenantId = uniqueId('tenant');
      const [early, late, never, elsewhere] = [freshStudent(tenantId), freshStudent(tenantId), freshStudent(tenantId), freshStudent()];
      const t = Date.parse('2026-01-15T00:00:00Z');
      await other.eraseStudent(early, t - 1);
      await other.eraseStudent(late, t);
      await store.eraseStudent(elsewhere, t + 5);
      expect(await store.erasedSince([never, late, early, elsewhere], t)).toEqual([late, elsewhere]);
      expect(await other.erasedSince([elsewhere, never], t + 6)).toEqual([]);
      expect(await store.erasedSince([], t)).toEqual([]);
      // A later erasure moves the student past the time; an earlier one never moves it back.
      await other.eraseStudent(early, t + 10);
      await store.eraseStudent(early, t - 100);
      expect(await store.erasedSince([early, never], t + 10)).toEqual([early]);
    });

    test('without consent an event is refused and changes nothing; with it, applied', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await store.setConsent(ref, { analytics: false, updatedAt: CONTRACT_NOW });
      expect((await applyWire(store, ref, { event_id: 'a' })).kind).toBe('no_consent');
      expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
      await store.setConsent(ref, { analytics: true, updatedAt: CONTRACT_NOW + 1 });
      expect((await applyWire(store, ref, { event_id: 'a' })).kind).toBe('applied');
      expect(await store.getConsent(ref)).toEqual({ analytics: true, updatedAt: CONTRACT_NOW + 1 });
    });

    test('a student who never set consent follows the default', async () => {
      const { store } = setup();
      const ref = freshStudent();
      expect(await store.getConsent(ref)).toBeUndefined();
      const parsed = parseLearningEvent(wireEvent({ student_id: ref.studentId, tenant_id: ref.tenantId }));
      if (!parsed.ok) throw new Error('bad event');
      const e = parsed.event;
      const change = (current: TopicState | undefined): TopicChange => {
        const state = applyEvent(current, e, policy);
        return { state, snapshot: snapshotOf(e.topicId, state, 5, policy) };
      };
      const req = { ...ref, topicId: e.topicId, eventId: e.eventId, now: CONTRACT_NOW, occurredAt: e.occurredAt };
      expect((await store.applyEvent({ ...req, consentByDefault: false }, change)).kind).toBe('no_consent');
      expect((await store.applyEvent({ ...req, consentByDefault: true }, change)).kind).toBe('applied');
    });

    test('idempotency records are kept for the retention period, then forgotten', async () => {
      const { store } = setup();
      const ref = freshStudent();
      await applyWire(store, ref, { event_id: 'old' }, CONTRACT_NOW);
      expect((await applyWire(store, ref, { event_id: 'old' }, CONTRACT_NOW + 6 * 86_400_000)).kind).toBe('duplicate');
      // Any later apply prunes records older than the retention (7 days in these suites).
      await applyWire(store, ref, { event_id: 'newer' }, CONTRACT_NOW + 8 * 86_400_000);
      expect((await applyWire(store, ref, { event_id: 'old' }, CONTRACT_NOW + 8 * 86_400_000)).kind).toBe('applied');
    });

    test('concurrent writers through two handles lose nothing', async () => {
      const { store, peer } = setup();
      const other = peer ?? store;
      const ref = freshStudent();
      await Promise.all(Array.from({ length: 60 }, (_, i) => applyWire(i % 2 ? store : other, ref, { event_id: `p${i}` })));
      expect((await store.getTopic(ref, 'python-basics'))?.eventCount).toBe(60);
    });

    test('one event delivered through two handles at once is applied once', async () => {
      const { store, peer } = setup();
      const other = peer ?? store;
      const ref = freshStudent();
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => applyWire(i % 2 ? store : other, ref, { event_id: 'twice' })));
      expect(outcomes.filter((o) => o.kind === 'applied').length).toBe(1);
      expect((await store.getTopic(ref, 'python-basics'))?.eventCount).toBe(1);
    });

    test('a redelivery reaching a handle whose last write on the topic is stale is still a duplicate', async () => {
      const { store, peer } = setup();
      const other = peer ?? store;
      const ref = freshStudent();
      expect((await applyWire(store, ref, { event_id: 'first' })).kind).toBe('applied');
      // The other handle writes the topic after it, so what the first handle last wrote is stale.
      expect((await applyWire(other, ref, { event_id: 'second' })).kind).toBe('applied');
      expect((await applyWire(store, ref, { event_id: 'second' })).kind).toBe('duplicate');
      expect((await applyWire(store, ref, { event_id: 'first' })).kind).toBe('duplicate');
      expect((await store.getTopic(ref, 'python-basics'))?.eventCount).toBe(2);
    });

    test('one event id racing onto two topics through two handles is applied once', async () => {
      const { store, peer } = setup();
      const other = peer ?? store;
      const ref = freshStudent();
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => applyWire(i % 2 ? store : other, ref, { event_id: 'racer', topic_id: i % 2 ? 'oop' : 'functions' })),
      );
      expect(outcomes.filter((o) => o.kind === 'applied').length).toBe(1);
      const topics = await store.listTopics(ref);
      expect([...topics.values()].reduce((n, s) => n + s.eventCount, 0)).toBe(1);
    });
  });
}

export interface ShortLivedStore {
  /** A store of the same kind whose state TTL is short enough to wait out in a test. */
  store: MasteryStore;
  /** Lets the state TTL pass with no activity. */
  passStateTtl(): Promise<void>;
}

/** Consent withdrawals are a promise to the student, not state: they must outlive both the state TTL and an erasure. */
export function describeConsentLifetime(name: string, setup: () => ShortLivedStore) {
  describe(`MasteryStore consent lifetime: ${name}`, () => {
    test('a withdrawal outlives the state TTL and an erasure: new events are still refused', async () => {
      const { store, passStateTtl } = setup();
      const ref = freshStudent();
      await applyWire(store, ref, { event_id: 'before' });
      await store.setConsent(ref, { analytics: false, updatedAt: CONTRACT_NOW });
      await passStateTtl();
      expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
      await store.eraseStudent(ref, CONTRACT_NOW);
      expect(await store.getConsent(ref)).toEqual({ analytics: false, updatedAt: CONTRACT_NOW });
      expect((await applyWire(store, ref, { event_id: 'after', occurred_at: '2026-01-20T00:00:01Z' })).kind).toBe('no_consent');
      expect(await store.getTopic(ref, 'python-basics')).toBeUndefined();
    });

    test('a grant lives only as long as the state: after the TTL the default applies again', async () => {
      const { store, passStateTtl } = setup();
      const ref = freshStudent();
      await store.setConsent(ref, { analytics: true, updatedAt: CONTRACT_NOW });
      await passStateTtl();
      expect(await store.getConsent(ref)).toBeUndefined();
    });
  });
}
