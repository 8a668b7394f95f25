import { calculateMastery, type Components, type Mastery } from './mastery';
import { DAY_MS, dayOf, type DaySnapshot, type ModelPolicy } from './topic-state';

/**
 * Mastery as it was at a past moment, rebuilt from a topic's day snapshots: the basis of history
 * analytics, of "what would we have predicted then" and of backtests. Completion, quiz and quality
 * do not move without events, so they are the latest snapshot's; consistency is a function of the
 * active days in the window ending on the day asked, and the days that have a snapshot are exactly
 * the days with events (each applied event writes the snapshot of its day, in-order delivery).
 */

/** A topic's value at the end of one day; `active` says whether the day had events. */
export interface DayValue {
  day: number;
  components: Components;
  mastery: Mastery;
  active: boolean;
}

/**
 * One value per day from `fromDay` to `toDay` (days since epoch, both included) for one topic,
 * from its snapshots in ascending day order; `undefined` for days before its first snapshot.
 * O(days + snapshots): the window's active-day count slides along with the day.
 */
export function dailyValues(snapshots: readonly DaySnapshot[], fromDay: number, toDay: number, policy: ModelPolicy): (DayValue | undefined)[] {
  // An event snapshot's `at` lies within its day: cheaper than parsing the ISO date. A
  // recalculated one (a day without events) carries its day only in `day`.
  const days = snapshots.map((s) => (s.recalculated ? dayNumber(s.day) : dayOf(s.at)));
  // activeBefore[i]: active (event) days among the first i snapshots, so a window's count is a difference.
  const activeBefore = [0];
  snapshots.forEach((s, i) => activeBefore.push(activeBefore[i]! + (s.recalculated ? 0 : 1)));
  const out: (DayValue | undefined)[] = [];
  let latest = -1; // index of the last snapshot on or before the day
  let windowStart = 0; // index of the first snapshot inside the window
  for (let day = fromDay; day <= toDay; day++) {
    while (latest + 1 < snapshots.length && days[latest + 1]! <= day) latest++;
    while (windowStart <= latest && days[windowStart]! <= day - policy.consistencyWindowDays) windowStart++;
    if (latest < 0) {
      out.push(undefined);
      continue;
    }
    const last = snapshots[latest]!;
    const activeDays = activeBefore[latest + 1]! - activeBefore[windowStart]!;
    const mastery = calculateMastery({ ...last.components, consistency: activeDays / policy.consistencyWindowDays }, policy.thresholds);
    out.push({ day, components: mastery.components, mastery, active: days[latest] === day && !last.recalculated });
  }
  return out;
}

/**
 * A topic's components as of the instant `asOf` (epoch ms): only snapshots whose latest event
 * occurred by then count. A snapshot covers a whole day, so on the day of `asOf` itself the events
 * before it count only when none came after it that day (then the previous day's value stands).
 */
export function componentsAsOf(snapshots: readonly DaySnapshot[], asOf: number, policy: ModelPolicy): Components | undefined {
  const known = snapshots.filter((s) => s.at <= asOf);
  if (known.length === 0) return undefined;
  return dailyValues(known, dayOf(asOf), dayOf(asOf), policy)[0]?.components;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The day number (days since epoch) of an ISO date `YYYY-MM-DD`. From its digits when that is
 * plainly the same (a year of history asks 4,380 of them, and parsing a date string was a tenth of
 * the answer); Date.UTC reads years 0-99 as 1900-1999 and rolls day 30 of February over, so those
 * and anything unusual go through Date.parse as before.
 */
export function dayNumber(isoDate: string): number {
  if (ISO_DAY.test(isoDate)) {
    const y = Number(isoDate.slice(0, 4));
    const m = Number(isoDate.slice(5, 7));
    const d = Number(isoDate.slice(8, 10));
    if (y >= 100 && m >= 1 && m <= 12 && d >= 1 && d <= 28) return Date.UTC(y, m - 1, d) / DAY_MS;
  }
  return dayOf(Date.parse(`${isoDate}T00:00:00Z`));
}
