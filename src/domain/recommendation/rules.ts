import type { Curriculum } from '../mastery/curriculum';
import { calculateMastery, COMPONENTS, WEIGHTS, type Component, type Components, type LevelThresholds } from '../mastery/mastery';
import { componentsOf, dayOf, type ModelPolicy, type TopicState } from '../mastery/topic-state';

/**
 * What to do next, per topic: every component below the threshold gets one action, worth the
 * mastery points it would add by reaching the threshold. Pure: the evidence and the time come in.
 */

export const ACTIONS = ['review', 'practice', 'refactor', 'schedule'] as const;
export type Action = (typeof ACTIONS)[number];
/** A component, or `retention` for a review that falls due. */
export const AREAS = [...COMPONENTS, 'retention'] as const;
export type Area = (typeof AREAS)[number];
export const PRIORITIES = ['high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The action each component's shortfall calls for. */
export const ACTION_OF: Readonly<Record<Component, Action>> = { completion: 'review', quiz: 'practice', quality: 'refactor', consistency: 'schedule' };

/**
 * Cut-offs on expected gain. 0.1 is a quarter of completion's weight: finishing a quarter of a
 * topic's lessons, or lifting quizzes from 0.37 to 0.7; below 0.05 (half a point of consistency's
 * whole weight) an action moves mastery too little to ask for first.
 */
export const PRIORITY_CUTOFFS = { high: 0.1, medium: 0.05 } as const;

/**
 * Each topic the student is working on that builds on this one (directly or further down) adds
 * a quarter to a shortfall's gain: a weak foundation holds back everything above it.
 */
export const PREREQUISITE_BONUS = 0.25;

/**
 * A due review is worth a tenth of the topic's mastery: what a lapse in memory puts at risk,
 * so a mastered topic's review reaches `high` and a barely started one's stays `low`.
 */
export const RETENTION_SHARE = 0.1;

/**
 * The student's own mean session may stretch or shrink the default estimates, but only within
 * half to double: one three-hour session should not triple every estimate.
 */
export const CALIBRATION_BOUNDS = [0.5, 2] as const;

/** Lessons a review names at most: a session's worth, not the whole remaining topic. */
export const REVIEW_ITEMS = 3;

export interface RecommendationPolicy {
  /** RECOMMENDATION_THRESHOLD: a component below this gets a recommendation; a topic below it is unmet. */
  threshold: number;
  /** Default minutes: a review per lesson, a practice or refactor session, a scheduled session. */
  minutes: Readonly<Record<Action, number>>;
  model: ModelPolicy;
}

/** What the rules read about one topic. */
export interface TopicEvidence {
  topicId: string;
  components: Components;
  masteryScore: number;
  /** Lesson ids completed, in any order. */
  lessonsCompleted: readonly string[];
  quizzesTaken: number;
  codeAssessed: number;
  /** Active days in the consistency window ending today. */
  activeDays: number;
  /** Whether the student has any event in the topic: "working on it". */
  started: boolean;
  /** When a review of the topic falls due (epoch ms), from a retention model; absent when none is wired in. */
  reviewDueAt?: number;
}

export interface StudentEvidence {
  /** Every topic of the curriculum, started or not. */
  topics: ReadonlyMap<string, TopicEvidence>;
  /** The student's own practice.session totals over all topics: the calibration of time estimates. */
  practice: { minutes: number; sessions: number };
}

export interface Recommendation {
  topicId: string;
  area: Area;
  action: Action;
  priority: Priority;
  expectedGain: number;
  estimatedMinutes: number;
  reason: string;
  /** The lessons a review names, in curriculum order. */
  items?: string[];
  /** When the review falls due (epoch ms), for `retention`. */
  dueAt?: number;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const percent = (x: number): string => `${Math.round(x * 100)}%`;

/** The evidence of every curriculum topic from the student's stored states, as of `now`. */
export function evidenceOf(curriculum: Curriculum, states: ReadonlyMap<string, TopicState>, now: number, model: ModelPolicy): StudentEvidence {
  const topics = new Map<string, TopicEvidence>();
  let minutes = 0;
  let sessions = 0;
  const today = dayOf(now);
  for (const topic of curriculum.topics.values()) {
    const state = states.get(topic.topicId);
    const components: Components = state ? componentsOf(state, topic.lessons.length, now, model) : { completion: 0, quiz: 0, quality: 0, consistency: 0 };
    topics.set(topic.topicId, {
      topicId: topic.topicId,
      components,
      masteryScore: calculateMastery(components, model.thresholds).masteryScore,
      lessonsCompleted: state?.lessons ?? [],
      quizzesTaken: state?.quiz.n ?? 0,
      codeAssessed: state?.quality.n ?? 0,
      activeDays: state ? state.activeDays.filter((d) => d <= today && d > today - model.consistencyWindowDays).length : 0,
      started: state !== undefined,
    });
    // Minutes from states written before sessions were counted have no session count to divide by.
    if (state?.practiceSessions) {
      minutes += state.practiceMinutes;
      sessions += state.practiceSessions;
    }
  }
  return { topics, practice: { minutes, sessions } };
}

/** How much the student's own sessions stretch the default estimates: their mean over the default practice session. */
export function calibration(evidence: StudentEvidence, policy: RecommendationPolicy): number {
  if (evidence.practice.sessions === 0) return 1;
  const ratio = evidence.practice.minutes / evidence.practice.sessions / policy.minutes.practice;
  return Math.min(CALIBRATION_BOUNDS[1], Math.max(CALIBRATION_BOUNDS[0], ratio));
}

export const priorityOf = (gain: number): Priority => (gain >= PRIORITY_CUTOFFS.high ? 'high' : gain >= PRIORITY_CUTOFFS.medium ? 'medium' : 'low');

/** Sessions a week that keep consistency at the threshold: active days in the window over its weeks. */
export const sessionsPerWeek = (threshold: number): number => Math.min(7, Math.ceil(threshold * 7));

/** Every topic's prerequisites, directly or further down. */
export function prerequisiteClosures(curriculum: Curriculum): Map<string, Set<string>> {
  const closures = new Map<string, Set<string>>();
  const closureOf = (id: string): Set<string> => {
    const known = closures.get(id);
    if (known) return known;
    const all = new Set<string>();
    // Acyclic by parseCurriculum, so the recursion ends.
    for (const p of curriculum.topics.get(id)?.prerequisites ?? []) {
      all.add(p);
      for (const q of closureOf(p)) all.add(q);
    }
    closures.set(id, all);
    return all;
  };
  for (const id of curriculum.topics.keys()) closureOf(id);
  return closures;
}

/** Started topics still below the threshold that build on `topicId`. */
function dependentsWorkingOn(topicId: string, evidence: StudentEvidence, closures: ReadonlyMap<string, ReadonlySet<string>>, threshold: number): number {
  let n = 0;
  for (const t of evidence.topics.values()) {
    if (t.topicId !== topicId && t.started && t.masteryScore < threshold && closures.get(t.topicId)?.has(topicId)) n++;
  }
  return n;
}

export interface RuleContext {
  curriculum: Curriculum;
  evidence: StudentEvidence;
  policy: RecommendationPolicy;
  closures: ReadonlyMap<string, ReadonlySet<string>>;
  now: number;
}

export const ruleContext = (curriculum: Curriculum, evidence: StudentEvidence, policy: RecommendationPolicy, now: number): RuleContext => ({
  curriculum,
  evidence,
  policy,
  closures: prerequisiteClosures(curriculum),
  now,
});

/** The recommendations for one topic, unsorted: one per component below the threshold, and a due review. */
export function topicRecommendations(ctx: RuleContext, topicId: string): Recommendation[] {
  const { policy, evidence } = ctx;
  const topic = ctx.curriculum.topics.get(topicId)!;
  const t = evidence.topics.get(topicId)!;
  const factor = calibration(evidence, policy);
  const minutes = (action: Action, times = 1): number => Math.max(1, Math.round(policy.minutes[action] * times * factor));
  const bonus = 1 + PREREQUISITE_BONUS * dependentsWorkingOn(topicId, evidence, ctx.closures, policy.threshold);
  const title = topic.title;
  const out: Recommendation[] = [];
  for (const component of COMPONENTS) {
    const value = t.components[component];
    if (value >= policy.threshold) continue;
    const gain = round(WEIGHTS[component] * (policy.threshold - value) * bonus, 4);
    const base = { topicId, area: component, action: ACTION_OF[component], priority: priorityOf(gain), expectedGain: gain };
    switch (component) {
      case 'completion': {
        const done = new Set(t.lessonsCompleted);
        const next = topic.lessons.filter((l) => !done.has(l)).slice(0, REVIEW_ITEMS);
        const count = topic.lessons.filter((l) => done.has(l)).length;
        // A curriculum edited since the lessons were completed can leave none to name.
        const todo = next.length > 0 ? `work through ${next.join(', ')} next` : 'review its lessons';
        out.push({ ...base, estimatedMinutes: minutes('review', Math.max(1, next.length)), items: next, reason: `You have completed ${count} of ${topic.lessons.length} lessons in ${title}; ${todo}.` });
        break;
      }
      case 'quiz':
        out.push({
          ...base,
          estimatedMinutes: minutes('practice'),
          reason:
            t.quizzesTaken === 0
              ? `You have not taken a quiz in ${title} yet; practise with one to show what you know.`
              : `Your recent quiz results in ${title} average ${percent(value)}; practise until they reach ${percent(policy.threshold)}.`,
        });
        break;
      case 'quality':
        out.push({
          ...base,
          estimatedMinutes: minutes('refactor'),
          reason:
            t.codeAssessed === 0
              ? `None of your code in ${title} has been assessed yet; submit a solution for review.`
              : `Your ${t.codeAssessed} assessed submission${t.codeAssessed === 1 ? '' : 's'} in ${title} score ${percent(value)} on average (latest weigh most); refactor one until it scores ${percent(policy.threshold)}.`,
        });
        break;
      case 'consistency': {
        const perWeek = sessionsPerWeek(policy.threshold);
        out.push({
          ...base,
          estimatedMinutes: minutes('schedule', perWeek),
          reason: `You studied ${title} on ${t.activeDays} of the last ${policy.model.consistencyWindowDays} days; plan ${perWeek} sessions a week.`,
        });
        break;
      }
    }
  }
  if (t.reviewDueAt !== undefined && t.reviewDueAt <= ctx.now) {
    const gain = round(RETENTION_SHARE * t.masteryScore * bonus, 4);
    out.push({
      topicId,
      area: 'retention',
      action: 'review',
      priority: priorityOf(gain),
      expectedGain: gain,
      estimatedMinutes: minutes('review'),
      reason: `A review of ${title} is due: what you learnt there fades without one.`,
      dueAt: t.reviewDueAt,
    });
  }
  return out;
}

const rank = (p: Priority): number => PRIORITIES.indexOf(p);

/** Priority first, then the larger gain, then topic and area, so equal inputs give equal orders. */
export function compareRecommendations(a: Recommendation, b: Recommendation): number {
  return rank(a.priority) - rank(b.priority) || b.expectedGain - a.expectedGain || a.topicId.localeCompare(b.topicId) || AREAS.indexOf(a.area) - AREAS.indexOf(b.area);
}

/**
 * The recommendations for `topicIds` (every one must be in the curriculum), sorted, at most
 * `limit`.
 */
export function recommend(ctx: RuleContext, topicIds: readonly string[], limit: number): Recommendation[] {
  return topicIds
    .flatMap((id) => topicRecommendations(ctx, id))
    .sort(compareRecommendations)
    .slice(0, limit);
}

/** The topics to recommend on when none are asked: the started ones, or the curriculum's roots for a student with none. */
export function defaultTopics(curriculum: Curriculum, evidence: StudentEvidence): string[] {
  const started = [...evidence.topics.values()].filter((t) => t.started).map((t) => t.topicId);
  if (started.length > 0) return started;
  return [...curriculum.topics.values()].filter((t) => t.prerequisites.length === 0).map((t) => t.topicId);
}

/** The mastery a topic would have with every component below the threshold lifted to it. */
export function masteryAfter(t: TopicEvidence, threshold: number, thresholds: LevelThresholds): number {
  const lifted = Object.fromEntries(COMPONENTS.map((c) => [c, Math.max(t.components[c], threshold)])) as Components;
  return calculateMastery(lifted, thresholds).masteryScore;
}
