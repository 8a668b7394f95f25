import { dailyValues, dayNumber, type DayValue } from '../../src/domain/mastery/as-of';
import { parseLearningEvent } from '../../src/domain/mastery/event';
import { applyEvent, snapshotOf, type DaySnapshot, type ModelPolicy, type TopicState } from '../../src/domain/mastery/topic-state';
import { wireEvent, type WireEvent } from './events';

export const policy: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };

/** Applies wire events in order as the engine does, keeping each day's last snapshot. */
export function snapshotsOf(wires: Partial<WireEvent>[], lessonsInTopic = 5): DaySnapshot[] {
  let state: TopicState | undefined;
  const byDay = new Map<string, DaySnapshot>();
  for (const w of wires) {
    const parsed = parseLearningEvent(wireEvent(w));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    state = applyEvent(state, parsed.event, policy);
    const snap = snapshotOf(parsed.event.topicId, state, lessonsInTopic, policy);
    byDay.set(snap.day, snap);
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** The topic's daily values from its first snapshot to `untilDay` (YYYY-MM-DD). */
export function daysOf(snapshots: DaySnapshot[], untilDay: string): DayValue[] {
  return dailyValues(snapshots, dayNumber(snapshots[0]!.day), dayNumber(untilDay), policy) as DayValue[];
}

const LESSONS = ['python-basics.intro', 'python-basics.variables', 'python-basics.types', 'python-basics.operators', 'python-basics.input-output'];

/** A learner who, on each of the given day offsets from 2026-01-01, completes a lesson (in order) and scores `score` on a quiz. */
export function learnerOn(dayOffsets: number[], score = 0.8): Partial<WireEvent>[] {
  return dayOffsets.flatMap((d, i) => {
    const at = new Date(Date.UTC(2026, 0, 1 + d, 10)).toISOString();
    const events: Partial<WireEvent>[] = [{ occurred_at: at, data: { quiz_id: `q${i}`, score } }];
    if (i < LESSONS.length) events.push({ occurred_at: at, event_type: 'lesson.completed', data: { lesson_id: LESSONS[i]! } });
    return events;
  });
}
