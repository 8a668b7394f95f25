import type { Clock } from '../../ports/clock.port';
import type { MasteryStore, StudentRef } from '../../ports/mastery-store.port';
import { dailyValues, type DayValue } from '../mastery/as-of';
import type { Curriculum } from '../mastery/curriculum';
import { levelOf, type Level } from '../mastery/mastery';
import { dayOf, isoDay, type DaySnapshot, type ModelPolicy } from '../mastery/topic-state';
import { activityProfile, componentModel, type Forecast, type TopicEvidence } from './forecast';
import { topicReasons, trendOf, type InterventionPolicy, type Reason, type Trend } from './intervention';
import { retentionOf } from './retention';

export interface PredictionSettings {
  /** A review is due when predicted retention falls below this (REVIEW_RETENTION_TARGET). */
  reviewRetentionTarget: number;
  intervention: InterventionPolicy;
}

export interface PredictionDeps {
  store: MasteryStore;
  clock: Clock;
  curriculum: Curriculum;
  policy: ModelPolicy;
  prediction: PredictionSettings;
}

export const NEXT_WEEK_DAYS = 7;
export const MAX_TRAJECTORY_DAYS = 30;
export const MODEL = { name: componentModel.name, version: componentModel.version } as const;

export interface TopicPrediction {
  topicId: string;
  current: number;
  predicted: number;
  low: number;
  high: number;
  confidence: number;
  trend: Trend;
  needsIntervention: boolean;
  reasons: Reason[];
  /** When predicted retention falls below the target (epoch ms). */
  reviewDueAt: number;
}

export interface NextWeekPrediction {
  studentId: string;
  asOf: number;
  horizonDays: number;
  overall: { current: number; predicted: number; low: number; high: number; levelPredicted: Level; trend: Trend };
  topics: TopicPrediction[];
  needsIntervention: boolean;
  model: typeof MODEL;
}

export interface TrajectoryPoint {
  date: string;
  predicted: number;
  low: number;
  high: number;
}

export interface Trajectory {
  studentId: string;
  /** undefined: the mean over the student's topics. */
  topicId: string | undefined;
  asOf: number;
  points: TrajectoryPoint[];
  confidence: number;
  model: typeof MODEL;
}

export type PredictionResult<T> = { kind: 'ok'; value: T } | { kind: 'unknown_topics'; topicIds: string[] };

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * The evidence per topic as of `asOf`: only snapshots of events that had occurred by then, and one
 * value per day from the topic's first active day to the day of `asOf`.
 */
function evidenceOf(history: readonly DaySnapshot[], asOf: number, policy: ModelPolicy, topicIds: readonly string[] | undefined): TopicEvidence[] {
  const byTopic = new Map<string, DaySnapshot[]>();
  for (const s of history) {
    if (s.at > asOf || (topicIds && !topicIds.includes(s.topicId))) continue;
    const list = byTopic.get(s.topicId) ?? [];
    list.push(s);
    byTopic.set(s.topicId, list);
  }
  const today = dayOf(asOf);
  return [...byTopic.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([topicId, snapshots]) => {
      const first = dayOf(snapshots[0]!.at);
      return { topicId, days: dailyValues(snapshots, first, today, policy) as DayValue[] };
    });
}

async function evidenceFor(deps: PredictionDeps, ref: StudentRef, asOf: number, topicIds?: readonly string[]): Promise<PredictionResult<TopicEvidence[]>> {
  if (topicIds) {
    const unknown = topicIds.filter((t) => !deps.curriculum.topics.has(t));
    if (unknown.length > 0) return { kind: 'unknown_topics', topicIds: unknown };
  }
  const history = await deps.store.getHistory(ref);
  return { kind: 'ok', value: evidenceOf(history, asOf, deps.policy, topicIds) };
}

function topicPrediction(deps: PredictionDeps, e: TopicEvidence, asOf: number): TopicPrediction {
  const forecast: Forecast = componentModel.forecast(e, NEXT_WEEK_DAYS, deps.policy);
  const profile = activityProfile(e);
  const retention = retentionOf(e.days, asOf, deps.prediction.reviewRetentionTarget)!;
  const { needsIntervention, reasons } = topicReasons(
    { forecast, horizonDays: NEXT_WEEK_DAYS, idleDays: profile.idleDays, observedDays: e.days.length, reviewOverdue: retention.reviewDueAt < asOf },
    deps.prediction.intervention,
  );
  return {
    topicId: e.topicId,
    current: forecast.current,
    predicted: forecast.predicted,
    low: forecast.low,
    high: forecast.high,
    confidence: forecast.confidence,
    trend: trendOf(forecast.current, forecast.predicted),
    needsIntervention,
    reasons,
    reviewDueAt: retention.reviewDueAt,
  };
}

/**
 * Where the student will be in a week, per topic and overall (the plain mean over the topics, as
 * for mastery), with an 80% interval, why a teacher should look, and when each topic needs a
 * review. `asOf` (default now) answers from the events that had occurred by then. A student with
 * no events gets an empty answer, the same for unknown and known ids.
 */
export async function predictNextWeek(deps: PredictionDeps, ref: StudentRef, opts: { topicIds?: readonly string[]; asOf?: number } = {}): Promise<PredictionResult<NextWeekPrediction>> {
  const asOf = opts.asOf ?? deps.clock.now();
  const evidence = await evidenceFor(deps, ref, asOf, opts.topicIds);
  if (evidence.kind !== 'ok') return evidence;
  const topics = evidence.value.map((e) => topicPrediction(deps, e, asOf));
  const current = round4(mean(topics.map((t) => t.current)));
  const predicted = round4(mean(topics.map((t) => t.predicted)));
  return {
    kind: 'ok',
    value: {
      studentId: ref.studentId,
      asOf,
      horizonDays: NEXT_WEEK_DAYS,
      overall: {
        current,
        predicted,
        // The mean of the topics' bounds: as wide as if the topics moved together, which a learner's
        // shared rhythm makes closer to the truth than independence would.
        low: round4(mean(topics.map((t) => t.low))),
        high: round4(mean(topics.map((t) => t.high))),
        levelPredicted: levelOf(predicted, deps.policy.thresholds),
        trend: trendOf(current, predicted),
      },
      topics,
      needsIntervention: topics.some((t) => t.needsIntervention),
      model: MODEL,
    },
  };
}

/** The forecast for each of the next `days` days, for one topic or the mean over the student's topics. */
export async function predictTrajectory(
  deps: PredictionDeps,
  ref: StudentRef,
  opts: { topicId?: string; days: number; asOf?: number },
): Promise<PredictionResult<Trajectory>> {
  const asOf = opts.asOf ?? deps.clock.now();
  const evidence = await evidenceFor(deps, ref, asOf, opts.topicId === undefined ? undefined : [opts.topicId]);
  if (evidence.kind !== 'ok') return evidence;
  const today = dayOf(asOf);
  const points: TrajectoryPoint[] = [];
  let confidence = 0;
  for (let h = 1; h <= opts.days; h++) {
    const forecasts = evidence.value.map((e) => componentModel.forecast(e, h, deps.policy));
    points.push({
      date: isoDay(today + h),
      predicted: round4(mean(forecasts.map((f) => f.predicted))),
      low: round4(mean(forecasts.map((f) => f.low))),
      high: round4(mean(forecasts.map((f) => f.high))),
    });
    confidence = round4(mean(forecasts.map((f) => f.confidence)));
  }
  return { kind: 'ok', value: { studentId: ref.studentId, topicId: opts.topicId, asOf, points: evidence.value.length === 0 ? [] : points, confidence, model: MODEL } };
}
