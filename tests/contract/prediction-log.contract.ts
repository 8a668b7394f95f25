import { describe, expect, test } from 'bun:test';
import type { ServedPrediction } from '../../src/domain/prediction/accuracy';
import type { StudentRef } from '../../src/ports/mastery-store.port';
import type { PredictionLog } from '../../src/ports/prediction-log.port';
import type { FixedClock } from '../support/fixed-clock';
import { uniqueId } from '../support/services';

export const RETENTION_DAYS = 60;
export const NOW = Date.UTC(2026, 0, 20, 12);
const DAY = 86_400_000;

/** Two handles on the same log (separate connections where the backend has them) and their clock. */
export interface LogHarness {
  log: PredictionLog;
  peer: PredictionLog;
  clock: FixedClock;
}

const student = (tenantId = uniqueId('t')): StudentRef => ({ tenantId, studentId: uniqueId('s') });
const served = (targetDay: string, topicId: string | null, extra: Partial<ServedPrediction> = {}): ServedPrediction => ({
  servedAt: NOW,
  targetDay,
  topicId,
  predicted: 0.6,
  low: 0.5,
  high: 0.7,
  baselines: { lastValue: 0.5, linear: 0.75 },
  ...extra,
});

/** The behaviour every PredictionLog must have: run against the in-memory log and Redis. */
export function describePredictionLogContract(name: string, setup: () => LogHarness) {
  describe(`PredictionLog contract: ${name}`, () => {
    test('an unknown student has nothing remembered and an unknown tenant nothing due or scored', async () => {
      const { log } = setup();
      const ref = student();
      expect(await log.listRemembered(ref)).toEqual([]);
      expect(await log.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-03-01', limit: 10 })).toEqual([]);
      expect(await log.accuracySummary({ tenantId: ref.tenantId, fromDay: '2026-01-01', toDay: '2026-01-31', scope: 'topics' })).toEqual({
        samples: 0, mae: null, bias: null, intervalCoverage: null, baselineMae: { lastValue: null, linear: null },
      });
    });

    test('the first prediction for a day and topic is kept; later ones from any handle change nothing', async () => {
      const { log, peer } = setup();
      const ref = student();
      await log.rememberServed(ref, [served('2026-01-27', 'oop'), served('2026-01-27', null)]);
      await peer.rememberServed(ref, [served('2026-01-27', 'oop', { predicted: 0.9, servedAt: NOW + 1000 }), served('2026-01-26', 'oop')]);
      expect(await log.listRemembered(ref)).toEqual([served('2026-01-26', 'oop'), served('2026-01-27', null), served('2026-01-27', 'oop')]);
    });

    test('listed entries are copies', async () => {
      const { log } = setup();
      const ref = student();
      const p = served('2026-01-27', 'oop');
      await log.rememberServed(ref, [p]);
      p.baselines.linear = 0;
      const [first] = await log.listRemembered(ref);
      first!.baselines.lastValue = 0;
      expect(await log.listRemembered(ref)).toEqual([served('2026-01-27', 'oop')]);
    });

    test('due are the unscored predictions of the tenant whose day is over, oldest first, at most limit', async () => {
      const { log, peer } = setup();
      const [a, b] = [student(), student()];
      const c = student(a.tenantId);
      await log.rememberServed(a, [served('2026-01-21', 'oop'), served('2026-01-22', 'oop'), served('2026-01-23', 'oop')]);
      await peer.rememberServed(c, [served('2026-01-21', 'sql'), served('2026-01-22', null)]);
      await log.rememberServed(b, [served('2026-01-21', 'oop')]);
      const due = await peer.dueForScoring({ tenantId: a.tenantId, asOfDay: '2026-01-23', limit: 10 });
      expect(due.map((d) => [d.targetDay, d.topicId])).toHaveLength(4);
      expect(due.map((d) => d.targetDay)).toEqual(['2026-01-21', '2026-01-21', '2026-01-22', '2026-01-22']);
      expect(due.every((d) => !d.id.includes(a.studentId) && !d.id.includes(c.studentId) && !('studentId' in d))).toBe(true);
      expect(await log.dueForScoring({ tenantId: a.tenantId, asOfDay: '2026-01-23', limit: 3 })).toEqual(due.slice(0, 3));
      const ofA = await log.dueForScoring({ tenantId: a.tenantId, asOfDay: '2026-01-23', limit: 10, student: a });
      expect(ofA.map((d) => d.targetDay)).toEqual(['2026-01-21', '2026-01-22']);
      expect(ofA.map((d) => d.id)).toEqual(due.filter((d) => d.pseudonym === ofA[0]!.pseudonym).map((d) => d.id));
    });

    test('a scored prediction is no longer due, lists its actual, and counts in the summary', async () => {
      const { log, peer, clock } = setup();
      const ref = student();
      await log.rememberServed(ref, [served('2026-01-19', 'oop', { predicted: 0.6, low: 0.5, high: 0.7 }), served('2026-01-19', 'sql', { predicted: 0.4, low: 0.3, high: 0.45 })]);
      const due = await log.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-01-20', limit: 10 });
      // oop: error +0.1, inside; sql: error -0.1, outside. Baselines: |0.5-0.5|, |0.75-0.5|; |0.5-0.5|, |0.75-0.5|.
      expect(await peer.recordActual(ref.tenantId, due[0]!, 0.5, clock.now())).toEqual({ kind: 'scored' });
      expect(await log.recordActual(ref.tenantId, due[1]!, 0.5, clock.now())).toEqual({ kind: 'scored' });
      expect(await log.recordActual(ref.tenantId, due[1]!, 0.5, clock.now())).toEqual({ kind: 'already_scored' });
      expect(await peer.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-01-20', limit: 10 })).toEqual([]);
      expect((await log.listRemembered(ref)).map((p) => [p.topicId, p.actual, p.scoredAt])).toEqual([['oop', 0.5, clock.now()], ['sql', 0.5, clock.now()]]);
      const summary = await peer.accuracySummary({ tenantId: ref.tenantId, fromDay: '2026-01-19', toDay: '2026-01-19', scope: 'topics' });
      expect(summary).toEqual({ samples: 2, mae: 0.1, bias: 0, intervalCoverage: 0.5, baselineMae: { lastValue: 0, linear: 0.25 } });
    });

    test('the summary covers the window’s target days and one scope', async () => {
      const { log } = setup();
      const ref = student();
      await log.rememberServed(ref, [served('2026-01-10', 'oop'), served('2026-01-15', 'oop'), served('2026-01-15', null), served('2026-01-19', 'oop')]);
      for (const d of await log.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-01-20', limit: 10 })) await log.recordActual(ref.tenantId, d, 0.6, NOW);
      const window = { tenantId: ref.tenantId, fromDay: '2026-01-11', toDay: '2026-01-19' };
      expect((await log.accuracySummary({ ...window, scope: 'topics' })).samples).toBe(2);
      expect((await log.accuracySummary({ ...window, scope: 'overall' })).samples).toBe(1);
      expect((await log.accuracySummary({ ...window, fromDay: '2026-01-01', scope: 'topics' })).samples).toBe(3);
      expect((await log.accuracySummary({ ...window, tenantId: uniqueId('t'), scope: 'topics' })).samples).toBe(0);
    });

    test('replicas scoring the same predictions at once count each exactly once', async () => {
      const { log, peer } = setup();
      const refs = Array.from({ length: 10 }, () => student());
      const tenantId = uniqueId('t');
      for (const r of refs) await log.rememberServed({ ...r, tenantId }, [served('2026-01-19', 'oop'), served('2026-01-19', 'sql')]);
      const [dueA, dueB] = await Promise.all([log.dueForScoring({ tenantId, asOfDay: '2026-01-20', limit: 100 }), peer.dueForScoring({ tenantId, asOfDay: '2026-01-20', limit: 100 })]);
      expect(dueA).toHaveLength(20);
      const outcomes = await Promise.all([...dueA.map((d) => log.recordActual(tenantId, d, 0.5, NOW)), ...dueB.map((d) => peer.recordActual(tenantId, d, 0.5, NOW))]);
      expect(outcomes.filter((o) => o.kind === 'scored')).toHaveLength(20);
      expect(outcomes.filter((o) => o.kind === 'already_scored')).toHaveLength(20);
      expect((await log.accuracySummary({ tenantId, fromDay: '2026-01-19', toDay: '2026-01-19', scope: 'topics' })).samples).toBe(20);
    });

    test('forgetting a student removes their entries from every list; sums already folded stay', async () => {
      const { log, peer, clock } = setup();
      const ref = student();
      const classmate = student(ref.tenantId);
      await log.rememberServed(ref, [served('2026-01-18', 'oop'), served('2026-01-19', 'oop')]);
      await log.rememberServed(classmate, [served('2026-01-19', 'oop')]);
      const [first] = await log.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-01-19', limit: 1 });
      await log.recordActual(ref.tenantId, first!, 0.5, NOW);
      clock.advance(1);
      await peer.forgetStudent(ref, clock.now());
      await peer.forgetStudent(ref, clock.now());
      expect(await log.listRemembered(ref)).toEqual([]);
      const due = await log.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-01-20', limit: 10 });
      expect(due).toHaveLength(1);
      expect(due[0]!.pseudonym).not.toBe(first!.pseudonym);
      expect((await log.accuracySummary({ tenantId: ref.tenantId, fromDay: '2026-01-18', toDay: '2026-01-18', scope: 'topics' })).samples).toBe(1);
    });

    test('a prediction served before an erasure and remembered after it is refused; one served after it is kept', async () => {
      const { log, peer, clock } = setup();
      const ref = student();
      clock.advance(10);
      await peer.forgetStudent(ref, clock.now());
      await log.rememberServed(ref, [served('2026-01-27', 'oop', { servedAt: clock.now() - 10 }), served('2026-01-27', 'sql', { servedAt: clock.now() })]);
      expect(await log.listRemembered(ref)).toEqual([]);
      await log.rememberServed(ref, [served('2026-01-27', 'oop', { servedAt: clock.now() + 1 })]);
      expect((await peer.listRemembered(ref)).map((p) => p.topicId)).toEqual(['oop']);
    });

    test('entries past the retention after their target day are neither listed nor due', async () => {
      const { log, clock } = setup();
      const ref = student();
      await log.rememberServed(ref, [served('2026-01-19', 'oop'), served('2026-01-25', 'oop')]);
      clock.advance((RETENTION_DAYS + 2) * DAY);
      expect((await log.listRemembered(ref)).map((p) => p.targetDay)).toEqual(['2026-01-25']);
      expect((await log.dueForScoring({ tenantId: ref.tenantId, asOfDay: '2026-04-01', limit: 10 })).map((p) => p.targetDay)).toEqual(['2026-01-25']);
    });
  });
}
