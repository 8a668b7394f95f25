import type { IdSource } from '../../ports/id-source.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import type { RecommendationFeedback, RecommendationRecord, RecommendationStore, ServedSet } from '../../ports/recommendation-store.port';
import { REPLICA_CLOCK_MARGIN_MS } from '../mastery/announce';
import { unknownTopicsOf, type Curriculum, type UnknownTopics } from '../mastery/curriculum';
import type { EngineDeps } from '../mastery/engine';
import { dailyValues, type DayValue } from '../mastery/as-of';
import { dayOf, type DaySnapshot, type TopicState } from '../mastery/topic-state';
import { retentionOf } from '../prediction/retention';
import { measureEffect, type Effect, type FeedbackObservation, type FeedbackStatus } from './effect';
import { learningPath, type LearningPath } from './path';
import { defaultTopics, evidenceOf, recommend, ruleContext, type Action, type RecommendationPolicy, type RuleContext, type StudentEvidence } from './rules';

/** The use cases of recommendations: read the student's state, apply the rules, keep what was served. */

export interface RecommendationSettings {
  /** RECOMMENDATION_THRESHOLD. */
  threshold: number;
  /** RECOMMENDATION_MINUTES_*: the default minutes per action. */
  minutes: Readonly<Record<Action, number>>;
  /** REVIEW_RETENTION_TARGET: a topic is due for review when predicted retention falls below it. */
  reviewRetentionTarget: number;
}

export interface RecommendationDeps extends EngineDeps {
  recommendations: RecommendationStore;
  ids: IdSource;
  recommendation: RecommendationSettings;
}

export type AdaptiveResult = UnknownTopics | { kind: 'ok'; studentId: string; set: ServedSet };
export type PathResult = UnknownTopics | { kind: 'ok'; studentId: string; path: LearningPath };

const policyOf = (deps: RecommendationDeps): RecommendationPolicy => ({ ...deps.recommendation, model: deps.policy });

/**
 * When each started topic is due for review, from the predictions' retention model over its day
 * history (a fresh answer only: the day is part of the cache key, so a cached one is still right).
 */
async function addReviewDates(deps: RecommendationDeps, ref: StudentRef, evidence: StudentEvidence, now: number): Promise<void> {
  const byTopic = new Map<string, DaySnapshot[]>();
  for (const s of await deps.store.getHistory(ref)) {
    if (s.at > now) continue;
    const list = byTopic.get(s.topicId) ?? [];
    list.push(s);
    byTopic.set(s.topicId, list);
  }
  for (const [topicId, snapshots] of byTopic) {
    const topic = evidence.topics.get(topicId);
    if (!topic) continue;
    const days = dailyValues(snapshots, dayOf(snapshots[0]!.at), dayOf(now), deps.policy) as DayValue[];
    const retention = retentionOf(days, now, deps.recommendation.reviewRetentionTarget);
    if (retention) topic.reviewDueAt = retention.reviewDueAt;
  }
}

const contextOf = (deps: RecommendationDeps, curriculum: Curriculum, states: ReadonlyMap<string, TopicState>, now: number): RuleContext =>
  ruleContext(curriculum, evidenceOf(curriculum, states, now, deps.policy), policyOf(deps), now);

/**
 * What a cached answer must match. The store's evidence token changes whenever any replica applies
 * an event for the student (MasteryStore.evidenceToken), so a new event anywhere changes the key;
 * the day is in it because consistency slides with the calendar; the settings because a deploy
 * may change them; the question (topics, limit) because the answer depends on it; the tenant's
 * curriculum version because lessons and prerequisites shape the rules. No key repeats for one
 * student except with the same state, day, settings, curriculum and question.
 */
export function cacheKey(evidence: string, now: number, settings: RecommendationSettings, topicIds: readonly string[] | undefined, limit: number, curriculumVersion: number): string {
  const m = settings.minutes;
  return [evidence, dayOf(now), `${settings.threshold}/${m.review}/${m.practice}/${m.refactor}/${m.schedule}/${settings.reviewRetentionTarget}`, topicIds ? [...topicIds].sort().join(',') : '*', limit, `c${curriculumVersion}`].join('|');
}

/**
 * The student's recommendations for the topics asked (or the topics they have started, or the
 * curriculum's roots when they have none), sorted, at most `limit`. Served from the store's cache
 * while no event has changed the student's state; a fresh answer is recorded (cache and history)
 * first, so a recommendation id the client sees can always take feedback.
 */
export async function adaptiveRecommendations(deps: RecommendationDeps, ref: StudentRef, q: { topicIds?: readonly string[]; limit: number }): Promise<AdaptiveResult> {
  const { version, curriculum } = await deps.curricula.forTenant(ref.tenantId);
  const unknown = unknownTopicsOf(curriculum, q.topicIds);
  if (unknown) return unknown;
  const now = deps.clock.now();
  // The evidence token and the latest answer in one go (one round trip when both live in one
  // Redis): the answer is served only if it was computed from this state, which its key tells.
  const [evidence, cached] = await Promise.all([deps.store.evidenceToken(ref), deps.recommendations.latest(ref, now)]);
  const key = cacheKey(evidence, now, deps.recommendation, q.topicIds, q.limit, version);
  if (cached?.key === key) return { kind: 'ok', studentId: ref.studentId, set: cached };
  // Read after the token: an answer is never filed under a newer state than it was computed from
  // (at worst under an older one, which no later read's token matches).
  const states = await deps.store.listTopics(ref);
  const ctx = contextOf(deps, curriculum, states, now);
  const topics = q.topicIds ? [...new Set(q.topicIds)] : defaultTopics(curriculum, ctx.evidence);
  await addReviewDates(deps, ref, ctx.evidence, now);
  const set: ServedSet = {
    key,
    generatedAt: now,
    recommendations: recommend(ctx, topics, q.limit).map((r) => ({ ...r, recommendationId: deps.ids.next(), servedAt: now })),
  };
  const outcome = await deps.recommendations.record(ref, set, now - REPLICA_CLOCK_MARGIN_MS);
  // Erased meanwhile: the answer stands for this reader (their read raced the erasure) but is not kept.
  return { kind: 'ok', studentId: ref.studentId, set: outcome.kind === 'existing' ? outcome.set : set };
}

/** The learning path to `targetTopicId` (or through the whole curriculum), at most `maxSteps` steps. */
export async function learningPathFor(deps: RecommendationDeps, ref: StudentRef, q: { targetTopicId?: string; maxSteps: number }): Promise<PathResult> {
  const { curriculum } = await deps.curricula.forTenant(ref.tenantId);
  const unknown = unknownTopicsOf(curriculum, q.targetTopicId !== undefined ? [q.targetTopicId] : undefined);
  if (unknown) return unknown;
  const states = await deps.store.listTopics(ref);
  return { kind: 'ok', studentId: ref.studentId, path: learningPath(contextOf(deps, curriculum, states, deps.clock.now()), q.targetTopicId, q.maxSteps) };
}

export function giveFeedback(deps: RecommendationDeps, ref: StudentRef, recommendationId: string, f: { status: FeedbackStatus; helpful?: boolean }): Promise<'recorded' | 'not_found'> {
  const feedback: RecommendationFeedback = { status: f.status, ...(f.helpful !== undefined ? { helpful: f.helpful } : {}), at: deps.clock.now() };
  return deps.recommendations.feedback(ref, recommendationId, feedback);
}

export const recommendationHistory = (deps: RecommendationDeps, ref: StudentRef): Promise<RecommendationRecord[]> => deps.recommendations.history(ref, deps.clock.now());

/** Students read at once when measuring the effect: bounds the requests in flight, whatever the roster. */
export const EFFECT_CONCURRENCY = 32;

/** The effect of completing versus dismissing, over these students' feedback (see measureEffect). */
export async function recommendationEffect(deps: RecommendationDeps, students: readonly StudentRef[]): Promise<Effect & { students: number }> {
  const now = deps.clock.now();
  const observations: FeedbackObservation[] = [];
  for (let i = 0; i < students.length; i += EFFECT_CONCURRENCY) {
    const batch = students.slice(i, i + EFFECT_CONCURRENCY);
    const read = await Promise.all(
      batch.map(async (ref) => {
        const withFeedback = (await deps.recommendations.history(ref, now)).filter((r) => r.feedback);
        // Snapshots only for students who gave feedback: most of a roster costs one read.
        const snapshots = withFeedback.length > 0 ? await deps.store.getHistory(ref) : [];
        return withFeedback.map((r) => ({ status: r.feedback!.status, at: r.feedback!.at, snapshots: snapshots.filter((s) => s.topicId === r.topicId) }));
      }),
    );
    observations.push(...read.flat());
  }
  return { ...measureEffect(observations, now, deps.policy), students: students.length };
}
