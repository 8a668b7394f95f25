import type { AnswerCache } from '../../ports/answer-cache.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { dailyValues, dayNumber } from '../mastery/as-of';
import type { EngineDeps } from '../mastery/engine';
import type { FieldError } from '../mastery/event';
import { levelOf, type Components, type Level } from '../mastery/mastery';
import { dayOf, isoDay, type DaySnapshot, type ModelPolicy } from '../mastery/topic-state';
import { mean, median, slope, sorted, stdDev } from './statistics';

/**
 * A student's mastery history: one value per day as of the end of that day, rebuilt from the
 * day snapshots (see as-of.ts), aggregated into days, ISO weeks or months, with summary
 * statistics over the days. docs/analytics.md defines every figure.
 */

export const GRANULARITIES = ['daily', 'weekly', 'monthly'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** A year, leap day included: long enough for "since September", short enough to answer fast. */
export const MAX_HISTORY_DAYS = 366;

export interface HistoryRequest {
  /** Inclusive UTC dates, YYYY-MM-DD. */
  from: string;
  to: string;
  granularity: Granularity;
  topicId?: string;
}

export interface HistoryPoint {
  /** The period's first day inside the range (YYYY-MM-DD). */
  periodStart: string;
  /** The value at the end of the period's last day inside the range. */
  masteryScore: number;
  level: Level;
  components: Components;
  /** Days of the period (inside the range) with at least one event. */
  activeDays: number;
  events: number;
}

export interface HistorySummary {
  mean: number;
  median: number;
  stdDev: number;
  min: number;
  max: number;
  first: number;
  last: number;
  change: number;
  trendPerWeek: number;
  volatility: number;
  activeDays: number;
  longestStreakDays: number;
}

export interface MasteryHistory {
  studentId: string;
  topicId: string | null;
  from: string;
  to: string;
  granularity: Granularity;
  points: HistoryPoint[];
  summary: HistorySummary;
}

export interface HistoryDeps extends EngineDeps {
  historyCache: AnswerCache<MasteryHistory>;
}

export type HistoryResult = { kind: 'ok'; history: MasteryHistory } | { kind: 'invalid'; errors: FieldError[] };

/** One day of the series: the student's (or topic's) value at its end and that day's activity. */
export interface DayPoint {
  day: number;
  masteryScore: number;
  components: Components;
  active: boolean;
  events: number;
}

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const round6 = (x: number): number => Math.round(x * 1_000_000) / 1_000_000;

/** The day number of a real calendar date `YYYY-MM-DD` (2026-02-30 is not one), else undefined. */
export function parseDay(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const day = dayNumber(text);
  return Number.isFinite(day) && isoDay(day) === text ? day : undefined;
}

/** Checks dates, order, length and topic; every problem at once, each naming its field. */
export function historyRangeErrors(req: HistoryRequest, today: number, topicKnown: (id: string) => boolean): FieldError[] {
  const errors: FieldError[] = [];
  const from = parseDay(req.from);
  const to = parseDay(req.to);
  if (from === undefined) errors.push({ field: 'from', code: 'invalid_format', message: 'from must be a calendar date YYYY-MM-DD' });
  if (to === undefined) errors.push({ field: 'to', code: 'invalid_format', message: 'to must be a calendar date YYYY-MM-DD' });
  if (from !== undefined && to !== undefined) {
    if (from > to) errors.push({ field: 'from', code: 'out_of_range', message: 'from must not be after to' });
    else if (to - from + 1 > MAX_HISTORY_DAYS) errors.push({ field: 'to', code: 'out_of_range', message: `the range may cover at most ${MAX_HISTORY_DAYS} days` });
  }
  // The end of a future day has not happened: its value would be a forecast, not history.
  if (to !== undefined && to > today) errors.push({ field: 'to', code: 'in_future', message: 'to must not be after today (UTC)' });
  if (req.topicId !== undefined && !topicKnown(req.topicId)) errors.push({ field: 'topic_id', code: 'unknown_value', message: `topic ${req.topicId} is not in the curriculum` });
  return errors;
}

/**
 * Events per day of one topic's snapshots, as an array indexed by day − `fromDay` over the range:
 * each snapshot's event count less the previous one's. A snapshot without a count (written before
 * counts were kept) counts as one event, the least its day had.
 */
function eventsPerDay(snapshots: readonly DaySnapshot[], fromDay: number, toDay: number): number[] {
  const out = new Array<number>(toDay - fromDay + 1).fill(0);
  snapshots.forEach((s, i) => {
    const day = dayNumber(s.day);
    if (day < fromDay || day > toDay) return;
    const before = i === 0 ? 0 : snapshots[i - 1]!.eventCount;
    out[day - fromDay] = s.eventCount !== undefined && before !== undefined ? s.eventCount - before : 1;
  });
  return out;
}

/**
 * The daily series from `fromDay` to `toDay` (both included) out of day snapshots ascending by
 * topic then day. One topic's snapshots give that topic's value, 0 before its first event. Several
 * topics give their mean, each topic counted from its first day with events (a topic not started
 * yet is not a topic the student scores 0 in); a day before any topic started is 0.
 */
export function dailySeries(snapshots: readonly DaySnapshot[], fromDay: number, toDay: number, policy: ModelPolicy): DayPoint[] {
  const byTopic = new Map<string, DaySnapshot[]>();
  for (const s of snapshots) {
    const list = byTopic.get(s.topicId);
    if (list) list.push(s);
    else byTopic.set(s.topicId, [s]);
  }
  const topics = [...byTopic.values()].map((snaps) => ({ values: dailyValues(snaps, fromDay, toDay, policy), events: eventsPerDay(snaps, fromDay, toDay) }));
  const out: DayPoint[] = [];
  for (let day = fromDay, i = 0; day <= toDay; day++, i++) {
    let n = 0;
    let score = 0;
    const sum: Components = { completion: 0, quiz: 0, quality: 0, consistency: 0 };
    let active = false;
    let events = 0;
    for (const t of topics) {
      const v = t.values[i];
      if (!v) continue;
      n++;
      score += v.mastery.masteryScore;
      // Spelt out, not a loop over COMPONENTS: this runs for every topic on every day of a year.
      sum.completion += v.components.completion;
      sum.quiz += v.components.quiz;
      sum.quality += v.components.quality;
      sum.consistency += v.components.consistency;
      if (v.active) {
        active = true;
        events += t.events[i]!;
      }
    }
    if (n === 0) out.push({ day, masteryScore: 0, components: sum, active: false, events: 0 });
    else {
      const components = { completion: round6(sum.completion / n), quiz: round6(sum.quiz / n), quality: round6(sum.quality / n), consistency: round6(sum.consistency / n) };
      out.push({ day, masteryScore: round4(score / n), components, active, events });
    }
  }
  return out;
}

/** The start of the day's period: itself, its ISO week's Monday, or the first of its month. */
function periodOf(day: number, granularity: Granularity): number | string {
  if (granularity === 'daily') return day;
  // Day 0 (1970-01-01) was a Thursday, so (day + 3) mod 7 counts days since Monday.
  if (granularity === 'weekly') return day - ((day + 3) % 7);
  return isoDay(day).slice(0, 7);
}

/** Groups the days into periods; each point carries the last day's value and the period's activity. */
export function aggregate(days: readonly DayPoint[], granularity: Granularity, thresholds: ModelPolicy['thresholds']): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  let key: number | string | undefined;
  for (const d of days) {
    const k = periodOf(d.day, granularity);
    const last = points[points.length - 1];
    if (last && k === key) {
      last.masteryScore = d.masteryScore;
      last.level = levelOf(d.masteryScore, thresholds);
      last.components = d.components;
      last.activeDays += d.active ? 1 : 0;
      last.events += d.events;
    } else {
      key = k;
      points.push({ periodStart: isoDay(d.day), masteryScore: d.masteryScore, level: levelOf(d.masteryScore, thresholds), components: d.components, activeDays: d.active ? 1 : 0, events: d.events });
    }
  }
  return points;
}

/** Summary statistics over the daily values (whatever the granularity of the points). */
export function summarize(days: readonly DayPoint[]): HistorySummary {
  const scores = days.map((d) => d.masteryScore);
  const asc = sorted(scores);
  const changes = scores.slice(1).map((s, i) => s - scores[i]!);
  let longest = 0;
  let run = 0;
  for (const d of days) {
    run = d.active ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  const first = scores[0] ?? 0;
  const last = scores[scores.length - 1] ?? 0;
  return {
    mean: round6(mean(scores)),
    median: round6(median(asc)),
    stdDev: round6(stdDev(scores)),
    min: asc[0] ?? 0,
    max: asc[asc.length - 1] ?? 0,
    first,
    last,
    change: round4(last - first),
    trendPerWeek: round6(slope(scores) * 7),
    volatility: round6(stdDev(changes)),
    activeDays: days.filter((d) => d.active).length,
    longestStreakDays: longest,
  };
}

/**
 * The use case: validates the request, reads the student's snapshots up to `to` (earlier ones
 * too: a day's value depends on the latest snapshot before it and on the consistency window),
 * and builds points and summary. Authorization is the caller's. An answer is kept under the
 * student's evidence fingerprint, read first, so it is never filed under a state older than the
 * one it was computed from; `to` is never after today, so no answer depends on the calendar, and
 * the answer is made of snapshots alone, so a change of the tenant's curriculum does not change it
 * (it is checked against the request before any lookup).
 */
export async function queryHistory(deps: HistoryDeps, ref: StudentRef, req: HistoryRequest): Promise<HistoryResult> {
  const { curriculum } = await deps.curricula.forTenant(ref.tenantId);
  const errors = historyRangeErrors(req, dayOf(deps.clock.now()), (id) => curriculum.topics.has(id));
  if (errors.length > 0) return { kind: 'invalid', errors };
  const readAt = deps.clock.now();
  const key = [await deps.store.evidenceToken(ref), req.topicId ?? '*', req.from, req.to, req.granularity].join('|');
  const cached = deps.historyCache.get(ref, key);
  if (cached) return { kind: 'ok', history: cached };
  const snapshots = await deps.store.getHistory({ ...ref, toDay: req.to, ...(req.topicId !== undefined ? { topicId: req.topicId } : {}) });
  const days = dailySeries(snapshots, dayNumber(req.from), dayNumber(req.to), deps.policy);
  const history: MasteryHistory = {
    studentId: ref.studentId,
    topicId: req.topicId ?? null,
    from: req.from,
    to: req.to,
    granularity: req.granularity,
    points: aggregate(days, req.granularity, deps.policy.thresholds),
    summary: summarize(days),
  };
  deps.historyCache.put(ref, key, history, readAt);
  return { kind: 'ok', history };
}
