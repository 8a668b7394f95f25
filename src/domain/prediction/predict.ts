import type { Clock } from '../../ports/clock.port';
import type { CurriculumSource } from '../../ports/curriculum-source.port';
import type { MasteryStore, StudentRef } from '../../ports/mastery-store.port';
import type { PredictionCache, PredictionKey } from '../../ports/prediction-cache.port';
import type { PredictionLog } from '../../ports/prediction-log.port';
import { dailyValues, dayNumber, type DayValue } from '../mastery/as-of';
import { levelOf, type Level } from '../mastery/mastery';
import { unknownTopicsOf, type UnknownTopics } from '../mastery/curriculum';
import { dayOf, isoDay, type DaySnapshot, type ModelPolicy } from '../mastery/topic-state';
import type { ServedPrediction } from './accuracy';
import { activityProfile, componentModel, lastValueModel, linearRegressionModel, type Forecast, type TopicEvidence } from './forecast';
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
  curricula: CurriculumSource;
  policy: ModelPolicy;
  prediction: PredictionSettings;
  cache: PredictionCache;
  log: PredictionLog;
  /** Whether a student who never set their analytics consent counts as consenting (CONSENT_DEFAULT). */
  consentByDefault: boolean;
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

export type PredictionResult<T> = { kind: 'ok'; value: T; cached: boolean } | UnknownTopics;

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

async function unknownTopicsIn(deps: PredictionDeps, tenantId: string, topicIds: readonly string[] | undefined): Promise<UnknownTopics | undefined> {
  if (!topicIds) return undefined;
  return unknownTopicsOf((await deps.curricula.forTenant(tenantId)).curriculum, topicIds);
}


/**
 * Serves from the cache when the student's evidence has not changed since (any replica's) last
 * answer to the same request; otherwise computes, and keeps the answer for PREDICTION_CACHE_TTL_S.
 * The cache is an optimisation: when it fails, the answer is computed as if it had missed.
 */
async function cached<T>(deps: PredictionDeps, ref: StudentRef, key: Omit<PredictionKey, 'fingerprint'>, compute: (history: DaySnapshot[]) => T): Promise<{ value: T; cached: boolean }> {
  const startedAt = deps.clock.now();
  // Read before the history, so an answer is never filed under a newer state than it was computed from.
  const fingerprint = await deps.store.evidenceToken(ref);
  const full: PredictionKey = { ...key, fingerprint };
  const hit = await deps.cache.getPrediction<T>(ref, full).catch(() => undefined);
  if (hit) return { value: hit.value, cached: true };
  const value = compute(await deps.store.getHistory(ref));
  await deps.cache.putPrediction(ref, { key: full, value, cachedAt: startedAt }).catch(() => undefined);
  return { value, cached: false };
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
 * no events gets an empty answer, the same for unknown and known ids. A computed answer for "now"
 * is remembered for live accuracy, and the student's earlier predictions whose day has passed are
 * scored on the way (the log knows students by pseudonym only, so they are scored when the
 * student's own predictions are asked for again).
 */
export async function predictNextWeek(deps: PredictionDeps, ref: StudentRef, opts: { topicIds?: readonly string[]; asOf?: number } = {}): Promise<PredictionResult<NextWeekPrediction>> {
  const unknown = await unknownTopicsIn(deps, ref.tenantId, opts.topicIds);
  if (unknown) return unknown;
  const asOf = opts.asOf ?? deps.clock.now();
  const key = { kind: 'next_week' as const, horizonDays: NEXT_WEEK_DAYS, ...(opts.topicIds ? { topicIds: opts.topicIds } : {}), ...(opts.asOf !== undefined ? { asOf: opts.asOf } : {}) };
  let served: { evidence: TopicEvidence[]; history: DaySnapshot[] } | undefined;
  const answer = await cached(deps, ref, key, (history) => {
    const evidence = evidenceOf(history, asOf, deps.policy, opts.topicIds);
    served = { evidence, history };
    return nextWeekOf(deps, ref, evidence, asOf);
  });
  if (served && opts.asOf === undefined) await keepForAccuracy(deps, ref, answer.value, served.evidence, served.history).catch(() => undefined);
  return { kind: 'ok', value: answer.value, cached: answer.cached };
}

function nextWeekOf(deps: PredictionDeps, ref: StudentRef, evidence: TopicEvidence[], asOf: number): NextWeekPrediction {
  const topics = evidence.map((e) => topicPrediction(deps, e, asOf));
  const current = round4(mean(topics.map((t) => t.current)));
  const predicted = round4(mean(topics.map((t) => t.predicted)));
  return {
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
  };
}

/** Remembers a served next-week answer (with the baselines' values) and scores the student's due ones. */
async function keepForAccuracy(deps: PredictionDeps, ref: StudentRef, p: NextWeekPrediction, evidence: TopicEvidence[], history: DaySnapshot[]): Promise<void> {
  if (evidence.length === 0) return;
  const targetDay = isoDay(dayOf(p.asOf) + NEXT_WEEK_DAYS);
  const baselines = evidence.map((e) => ({
    lastValue: lastValueModel.forecast(e, NEXT_WEEK_DAYS, deps.policy).predicted,
    linear: linearRegressionModel.forecast(e, NEXT_WEEK_DAYS, deps.policy).predicted,
  }));
  const servedPredictions: ServedPrediction[] = p.topics.map((t, i) => ({ servedAt: p.asOf, targetDay, topicId: t.topicId, predicted: t.predicted, low: t.low, high: t.high, baselines: baselines[i]! }));
  servedPredictions.push({
    servedAt: p.asOf,
    targetDay,
    topicId: null,
    predicted: p.overall.predicted,
    low: p.overall.low,
    high: p.overall.high,
    baselines: { lastValue: round4(mean(baselines.map((b) => b.lastValue))), linear: round4(mean(baselines.map((b) => b.linear))) },
  });
  await deps.log.rememberServed(ref, servedPredictions);

  const today = dayOf(p.asOf);
  const due = await deps.log.dueForScoring({ tenantId: ref.tenantId, asOfDay: isoDay(today), limit: 100, student: ref });
  for (const d of due) {
    // The actual: the mastery as of the end of the target day, from the full history.
    const day = dayNumber(d.targetDay);
    const values = evidenceOf(history, (day + 1) * 86_400_000 - 1, deps.policy, d.topicId === null ? undefined : [d.topicId]).map((e) => e.days.at(-1)!.mastery.masteryScore);
    if (values.length === 0) continue;
    await deps.log.recordActual(ref.tenantId, d, round4(mean(values)), deps.clock.now());
  }
}

/** The forecast for each of the next `days` days, for one topic or the mean over the student's topics. */
export async function predictTrajectory(
  deps: PredictionDeps,
  ref: StudentRef,
  opts: { topicId?: string; days: number; asOf?: number },
): Promise<PredictionResult<Trajectory>> {
  const topicIds = opts.topicId === undefined ? undefined : [opts.topicId];
  const unknown = await unknownTopicsIn(deps, ref.tenantId, topicIds);
  if (unknown) return unknown;
  const asOf = opts.asOf ?? deps.clock.now();
  const key = { kind: 'trajectory' as const, horizonDays: opts.days, ...(topicIds ? { topicIds } : {}), ...(opts.asOf !== undefined ? { asOf: opts.asOf } : {}) };
  const answer = await cached(deps, ref, key, (history) => trajectoryOf(deps, ref, evidenceOf(history, asOf, deps.policy, topicIds), asOf, opts));
  return { kind: 'ok', value: answer.value, cached: answer.cached };
}

function trajectoryOf(deps: PredictionDeps, ref: StudentRef, evidence: TopicEvidence[], asOf: number, opts: { topicId?: string; days: number }): Trajectory {
  const today = dayOf(asOf);
  const points: TrajectoryPoint[] = [];
  let confidence = 0;
  for (let h = 1; h <= opts.days; h++) {
    const forecasts = evidence.map((e) => componentModel.forecast(e, h, deps.policy));
    points.push({
      date: isoDay(today + h),
      predicted: round4(mean(forecasts.map((f) => f.predicted))),
      low: round4(mean(forecasts.map((f) => f.low))),
      high: round4(mean(forecasts.map((f) => f.high))),
    });
    confidence = round4(mean(forecasts.map((f) => f.confidence)));
  }
  return { studentId: ref.studentId, topicId: opts.topicId, asOf, points: evidence.length === 0 ? [] : points, confidence, model: MODEL };
}

export interface AtRiskStudent {
  studentId: string;
  current: number;
  predicted: number;
  /** The flagged topics, worst predicted first, with their reasons. */
  topics: { topicId: string; predicted: number; reasons: Reason[] }[];
}

export interface AtRiskList {
  asOf: number;
  /** Students flagged for intervention, lowest predicted mastery first. */
  students: AtRiskStudent[];
  /** Members left out because they withdrew analytics consent. */
  excludedNoConsent: number;
}

/** Predictions run this many students at a time: enough to overlap their reads, few enough to share the store. */
const AT_RISK_CONCURRENCY = 16;

/**
 * The students of a roster whom the predictions flag for intervention, with their reasons, worst
 * first. Students who withdrew analytics consent are left out and counted (a cohort view is
 * analytics); each student's prediction comes from the same cache as their own next-week answer.
 */
export async function atRisk(deps: PredictionDeps, tenantId: string, studentIds: readonly string[]): Promise<AtRiskList> {
  const asOf = deps.clock.now();
  const refs = studentIds.map((studentId) => ({ tenantId, studentId }));
  const consents = await deps.store.getConsentMany(refs);
  const included = refs.filter((_, i) => consents[i]?.analytics ?? deps.consentByDefault);
  const students: AtRiskStudent[] = [];
  for (let i = 0; i < included.length; i += AT_RISK_CONCURRENCY) {
    const batch = await Promise.all(included.slice(i, i + AT_RISK_CONCURRENCY).map((ref) => predictNextWeek(deps, ref)));
    for (const r of batch) {
      if (r.kind !== 'ok' || !r.value.needsIntervention) continue;
      const p = r.value;
      students.push({
        studentId: p.studentId,
        current: p.overall.current,
        predicted: p.overall.predicted,
        topics: p.topics
          .filter((t) => t.needsIntervention)
          .sort((a, b) => a.predicted - b.predicted)
          .map((t) => ({ topicId: t.topicId, predicted: t.predicted, reasons: t.reasons })),
      });
    }
  }
  students.sort((a, b) => a.predicted - b.predicted || (a.studentId < b.studentId ? -1 : 1));
  return { asOf, students, excludedNoConsent: refs.length - included.length };
}
