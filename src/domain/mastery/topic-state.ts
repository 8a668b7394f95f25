import type { LearningEvent } from './event';
import { calculateMastery, type Components, type LevelThresholds, type Mastery } from './mastery';

/**
 * What the service keeps per student and topic. Every field is a commutative summary of the
 * events seen (a set, a sum, a min or a max), so applying the same events in any order gives
 * the same state, up to floating-point rounding in the decayed sums.
 */
export interface TopicState {
  /** Distinct lesson ids completed; bounded by the topic's lesson count. */
  lessons: string[];
  quiz: DecayedMean;
  quality: DecayedMean;
  practiceMinutes: number;
  /**
   * practice.session events counted, so minutes per session (what recommendations calibrate their
   * time estimates with) can be read; absent from states written before it was kept.
   */
  practiceSessions?: number;
  /** Distinct UTC days (days since epoch) with activity, ascending, within the window ending on the latest one. */
  activeDays: number[];
  eventCount: number;
  /** Earliest and latest occurred_at (epoch ms) of the events applied. */
  firstAt: number;
  lastAt: number;
}

/**
 * A recency-weighted mean: each observation's weight halves every `halfLifeDays` before the
 * latest observation. `s` and `w` are the weighted sum and total weight relative to time `t`,
 * the latest observation; the mean s / w does not depend on t, which is what makes it
 * order-independent: a late observation just gets the weight it would have had in order.
 */
export interface DecayedMean {
  s: number;
  w: number;
  t: number;
  n: number;
}

export interface ModelPolicy {
  /** Consistency counts distinct active days in this many days ending today. */
  consistencyWindowDays: number;
  /** Age at which a quiz or code-quality result weighs half as much as the latest one. */
  recencyHalfLifeDays: number;
  thresholds: LevelThresholds;
}

export const DAY_MS = 86_400_000;
export const dayOf = (epochMs: number): number => Math.floor(epochMs / DAY_MS);
export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

const EMPTY_MEAN: DecayedMean = { s: 0, w: 0, t: 0, n: 0 };

/**
 * A student's evidence in one string: the total event count and the latest event time over their
 * topics. Every applied event raises a count, and every replica reads the same states, so a cache
 * keyed by it retires its entries whenever any replica applies an event for the student.
 */
export function evidenceFingerprint(states: Iterable<TopicState>): string {
  let events = 0;
  let latest = 0;
  for (const s of states) {
    events += s.eventCount;
    latest = Math.max(latest, s.lastAt);
  }
  return `${events}:${latest}`;
}

/** The state of a topic with no events, as if first touched at `at`. */
export const emptyTopicState = (at: number): TopicState => ({
  lessons: [], quiz: EMPTY_MEAN, quality: EMPTY_MEAN, practiceMinutes: 0, activeDays: [], eventCount: 0, firstAt: at, lastAt: at,
});

function addObservation(m: DecayedMean, value: number, at: number, halfLifeDays: number): DecayedMean {
  const halfLifeMs = halfLifeDays * DAY_MS;
  if (m.n === 0) return { s: value, w: 1, t: at, n: 1 };
  if (at > m.t) {
    const f = 2 ** ((m.t - at) / halfLifeMs);
    return { s: m.s * f + value, w: m.w * f + 1, t: at, n: m.n + 1 };
  }
  const f = 2 ** ((at - m.t) / halfLifeMs);
  return { s: m.s + value * f, w: m.w + f, t: m.t, n: m.n + 1 };
}

const meanOf = (m: DecayedMean): number => (m.w > 0 ? m.s / m.w : 0);

/** Inserts `day` and drops days that fell out of the window ending on the latest day. */
function addActiveDay(days: readonly number[], day: number, windowDays: number): number[] {
  const merged = days.includes(day) ? [...days] : [...days, day].sort((a, b) => a - b);
  const latest = merged[merged.length - 1]!;
  return merged.filter((d) => d > latest - windowDays);
}

/** A deep copy (the state is plain data: arrays and number records). */
export const cloneTopicState = (s: TopicState): TopicState => ({
  ...s,
  lessons: [...s.lessons],
  quiz: { ...s.quiz },
  quality: { ...s.quality },
  activeDays: [...s.activeDays],
});

/** The state after `event`; `current` is not modified. O(lessons in topic + window days) per event. */
export function applyEvent(current: TopicState | undefined, event: LearningEvent, policy: ModelPolicy): TopicState {
  const s = current ? cloneTopicState(current) : emptyTopicState(event.occurredAt);
  const d = event.data;
  switch (d.type) {
    case 'lesson.completed':
      if (!s.lessons.includes(d.lessonId)) s.lessons.push(d.lessonId);
      break;
    case 'quiz.completed':
      s.quiz = addObservation(s.quiz, d.score, event.occurredAt, policy.recencyHalfLifeDays);
      break;
    case 'code.assessed':
      s.quality = addObservation(s.quality, d.qualityScore, event.occurredAt, policy.recencyHalfLifeDays);
      break;
    case 'practice.session':
      s.practiceMinutes += d.minutes;
      s.practiceSessions = (s.practiceSessions ?? 0) + 1;
      break;
  }
  s.activeDays = addActiveDay(s.activeDays, dayOf(event.occurredAt), policy.consistencyWindowDays);
  s.eventCount += 1;
  s.firstAt = Math.min(s.firstAt, event.occurredAt);
  s.lastAt = Math.max(s.lastAt, event.occurredAt);
  return s;
}

/** The four components of a topic as of `asOf` (epoch ms): consistency fades when a learner stops. */
export function componentsOf(state: TopicState, lessonsInTopic: number, asOf: number, policy: ModelPolicy): Components {
  const today = dayOf(asOf);
  const recentDays = state.activeDays.filter((d) => d <= today && d > today - policy.consistencyWindowDays).length;
  return {
    completion: lessonsInTopic > 0 ? Math.min(1, state.lessons.length / lessonsInTopic) : 0,
    quiz: meanOf(state.quiz),
    quality: meanOf(state.quality),
    consistency: recentDays / policy.consistencyWindowDays,
  };
}

export function masteryOf(state: TopicState, lessonsInTopic: number, asOf: number, policy: ModelPolicy): Mastery {
  return calculateMastery(componentsOf(state, lessonsInTopic, asOf, policy), policy.thresholds);
}

/** One day of a topic's history: the mastery after the last event applied while that day was the latest. */
export interface DaySnapshot {
  topicId: string;
  /** UTC date, YYYY-MM-DD. */
  day: string;
  masteryScore: number;
  components: Components;
  /** occurred_at (epoch ms) of the latest event the snapshot includes. */
  at: number;
  /**
   * The topic's event count with this snapshot's events: the difference from the previous
   * snapshot is the day's events (analytics). Absent from snapshots written before it was kept.
   */
  eventCount?: number;
  /**
   * Written by a batch recalculation on a day without events: the day's value as the calendar
   * moved it, not an active day. `at` is still the latest event's time. Absent on event snapshots.
   */
  recalculated?: true;
}

export const cloneSnapshot = (h: DaySnapshot): DaySnapshot => ({ ...h, components: { ...h.components } });

/**
 * The snapshot written with each applied event. It is keyed by the day of the topic's latest
 * event, so in-order delivery records each day's last value, and a late event refreshes the
 * current day's snapshot rather than rewriting a past day it cannot see the rest of.
 */
export function snapshotOf(topicId: string, state: TopicState, lessonsInTopic: number, policy: ModelPolicy): DaySnapshot {
  const m = masteryOf(state, lessonsInTopic, state.lastAt, policy);
  return { topicId, day: isoDay(dayOf(state.lastAt)), masteryScore: m.masteryScore, components: m.components, at: state.lastAt, eventCount: state.eventCount };
}

/**
 * Snapshots of one topic (or all) within inclusive day bounds, ascending by topic then day, in
 * code-unit order (ids and ISO days are ASCII): a locale-aware comparison cost a sixth of a year's
 * history read and ordered mixed-case ids unlike Redis. Grouped by topic first, so a year of 12
 * topics sorts twelve runs of days instead of comparing topic ids 50,000 times.
 */
export function selectSnapshots(
  snapshots: Iterable<DaySnapshot>,
  q: { topicId?: string | undefined; fromDay?: string | undefined; toDay?: string | undefined },
): DaySnapshot[] {
  const byTopic = new Map<string, DaySnapshot[]>();
  for (const h of snapshots) {
    if ((q.topicId !== undefined && h.topicId !== q.topicId) || (q.fromDay !== undefined && h.day < q.fromDay) || (q.toDay !== undefined && h.day > q.toDay)) continue;
    const list = byTopic.get(h.topicId);
    if (list) list.push(h);
    else byTopic.set(h.topicId, [h]);
  }
  const out: DaySnapshot[] = [];
  // The default sort compares strings by UTF-16 code units.
  for (const topicId of [...byTopic.keys()].sort()) {
    for (const h of byTopic.get(topicId)!.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))) out.push(h);
  }
  return out;
}
