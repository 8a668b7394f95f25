import { calibration, compareRecommendations, masteryAfter, topicRecommendations, type Action, type RuleContext } from './rules';

/** One step of a learning path: a topic, what to do in it first, and where it leaves the student. */
export interface PathStep {
  order: number;
  topicId: string;
  action: Action;
  reason: string;
  /** The time of every recommendation of the topic, not just the first. */
  estimatedMinutes: number;
  /** The topic's direct prerequisites in the curriculum. */
  prerequisites: string[];
  expectedMasteryAfter: number;
}

export interface LearningPath {
  targetTopicId: string | null;
  steps: PathStep[];
  totalEstimatedMinutes: number;
}

/**
 * The topics a path covers. For a target: the target and, recursively, every prerequisite still
 * below the threshold (a met prerequisite ends the descent: what lies beneath it was enough).
 * Without one: every topic of the curriculum below the threshold.
 */
function pathTopics(ctx: RuleContext, target: string | undefined): Set<string> {
  const unmet = (id: string) => ctx.evidence.topics.get(id)!.masteryScore < ctx.policy.threshold;
  if (target === undefined) return new Set([...ctx.curriculum.topics.keys()].filter(unmet));
  const included = new Set<string>();
  const stack = [target];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (included.has(id)) continue;
    included.add(id);
    for (const p of ctx.curriculum.topics.get(id)!.prerequisites) if (unmet(p)) stack.push(p);
  }
  return included;
}

/**
 * A learning path: the topics in an order that never puts one before a prerequisite it covers
 * (Kahn's algorithm), choosing among the topics whose prerequisites are all placed the weakest
 * first (lowest mastery, then curriculum order), so weak foundations come first. At most
 * `maxSteps` steps: a prefix of such an order keeps the property.
 */
export function learningPath(ctx: RuleContext, target: string | undefined, maxSteps: number): LearningPath {
  const included = pathTopics(ctx, target);
  const position = new Map([...ctx.curriculum.topics.keys()].map((id, i) => [id, i]));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of included) {
    const inside = ctx.curriculum.topics.get(id)!.prerequisites.filter((p) => included.has(p));
    waitingOn.set(id, inside.length);
    for (const p of inside) dependents.set(p, [...(dependents.get(p) ?? []), id]);
  }
  const score = (id: string) => ctx.evidence.topics.get(id)!.masteryScore;
  const weakerFirst = (a: string, b: string) => score(a) - score(b) || position.get(a)! - position.get(b)!;
  const ready = [...included].filter((id) => waitingOn.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0 && order.length < maxSteps) {
    ready.sort(weakerFirst);
    const next = ready.shift()!;
    order.push(next);
    for (const d of dependents.get(next) ?? []) {
      const left = waitingOn.get(d)! - 1;
      waitingOn.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  const steps = order.map((id, i) => step(ctx, id, i + 1));
  return { targetTopicId: target ?? null, steps, totalEstimatedMinutes: steps.reduce((a, s) => a + s.estimatedMinutes, 0) };
}

function step(ctx: RuleContext, topicId: string, order: number): PathStep {
  const evidence = ctx.evidence.topics.get(topicId)!;
  const recs = topicRecommendations(ctx, topicId).sort(compareRecommendations);
  const first = recs[0];
  const title = ctx.curriculum.topics.get(topicId)!.title;
  return {
    order,
    topicId,
    // A target already at the threshold still ends the path: a short review keeps it there.
    action: first?.action ?? 'review',
    reason: first?.reason ?? `You are at ${Math.round(evidence.masteryScore * 100)}% in ${title}; a short review keeps it there.`,
    estimatedMinutes: first ? recs.reduce((a, r) => a + r.estimatedMinutes, 0) : Math.max(1, Math.round(ctx.policy.minutes.review * calibration(ctx.evidence, ctx.policy))),
    prerequisites: [...ctx.curriculum.topics.get(topicId)!.prerequisites],
    expectedMasteryAfter: masteryAfter(evidence, ctx.policy.threshold, ctx.policy.model.thresholds),
  };
}
