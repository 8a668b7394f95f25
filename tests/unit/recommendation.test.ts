import { describe, expect, test } from 'bun:test';
import { parseCurriculum, type Curriculum } from '../../src/domain/mastery/curriculum';
import { parseLearningEvent } from '../../src/domain/mastery/event';
import type { Components } from '../../src/domain/mastery/mastery';
import { applyEvent, DAY_MS, emptyTopicState, snapshotOf, type ModelPolicy, type TopicState } from '../../src/domain/mastery/topic-state';
import { measureEffect } from '../../src/domain/recommendation/effect';
import { learningPath } from '../../src/domain/recommendation/path';
import { cacheKey } from '../../src/domain/recommendation/recommendations';
import {
  calibration,
  compareRecommendations,
  evidenceOf,
  priorityOf,
  recommend,
  ruleContext,
  sessionsPerWeek,
  topicRecommendations,
  type RecommendationPolicy,
  type StudentEvidence,
  type TopicEvidence,
} from '../../src/domain/recommendation/rules';
import { shippedCurriculum } from '../support/curriculum';

const NOW = Date.UTC(2026, 0, 20, 12);
const model: ModelPolicy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] };
const policy: RecommendationPolicy = { threshold: 0.7, minutes: { review: 15, practice: 20, refactor: 25, schedule: 15 }, model };

/** Evidence for every topic of `curriculum`: zero unless given, started when given. */
function evidence(curriculum: Curriculum, topics: Record<string, Omit<Partial<TopicEvidence>, 'components'> & { components?: Partial<Components> }>, practice = { minutes: 0, sessions: 0 }): StudentEvidence {
  const map = new Map<string, TopicEvidence>();
  for (const id of curriculum.topics.keys()) {
    const given = topics[id];
    const components = { completion: 0, quiz: 0, quality: 0, consistency: 0, ...given?.components };
    const score = components.completion * 0.4 + components.quiz * 0.3 + components.quality * 0.2 + components.consistency * 0.1;
    map.set(id, { topicId: id, lessonsCompleted: [], quizzesTaken: 0, codeAssessed: 0, activeDays: 0, started: given !== undefined, masteryScore: Math.round(score * 1e4) / 1e4, ...given, components });
  }
  return { topics: map, practice };
}

const ctxOf = (ev: StudentEvidence, curriculum = shippedCurriculum, p = policy) => ruleContext(curriculum, ev, p, NOW);

describe('recommendations per component', () => {
  test('each component below the threshold maps to its action; components at or above it get none', () => {
    const ev = evidence(shippedCurriculum, { 'python-basics': { components: { completion: 0.4, quiz: 0.7, quality: 0.5, consistency: 0.9 }, lessonsCompleted: ['pb-1', 'pb-2'] } });
    const recs = topicRecommendations(ctxOf(ev), 'python-basics');
    expect(recs.map((r) => [r.area, r.action])).toEqual([
      ['completion', 'review'],
      ['quality', 'refactor'],
    ]);
  });

  test('a review names the next lessons not yet completed, in curriculum order, three at most', () => {
    const lessons = shippedCurriculum.topics.get('functions')!.lessons;
    const ev = evidence(shippedCurriculum, { functions: { components: { completion: 1 / 6 }, lessonsCompleted: [lessons[1]!] } });
    const review = topicRecommendations(ctxOf(ev), 'functions').find((r) => r.area === 'completion')!;
    expect(review.items).toEqual([lessons[0]!, lessons[2]!, lessons[3]!]);
    expect(review.reason).toBe(`You have completed 1 of 6 lessons in ${shippedCurriculum.topics.get('functions')!.title}; work through ${review.items!.join(', ')} next.`);
  });

  test('practice, refactor and schedule say what the data shows, and schedule names a cadence', () => {
    const ev = evidence(shippedCurriculum, { oop: { components: { completion: 1, quiz: 0.52, quality: 0.45, consistency: 3 / 14 }, quizzesTaken: 4, codeAssessed: 3, activeDays: 3 } });
    const byArea = Object.fromEntries(topicRecommendations(ctxOf(ev), 'oop').map((r) => [r.area, r]));
    const title = shippedCurriculum.topics.get('oop')!.title;
    expect(byArea.quiz!.reason).toBe(`Your recent quiz results in ${title} average 52%; practise until they reach 70%.`);
    expect(byArea.quality!.reason).toBe(`Your 3 assessed submissions in ${title} score 45% on average (latest weigh most); refactor one until it scores 70%.`);
    expect(byArea.consistency!.reason).toBe(`You studied ${title} on 3 of the last 14 days; plan 5 sessions a week.`);
    expect(sessionsPerWeek(0.7)).toBe(5);
  });

  test('with no quiz or assessment yet, the reason asks for the first one', () => {
    const recs = topicRecommendations(ctxOf(evidence(shippedCurriculum, { oop: {} })), 'oop');
    expect(recs.find((r) => r.area === 'quiz')!.reason).toContain('not taken a quiz');
    expect(recs.find((r) => r.area === 'quality')!.reason).toContain('has been assessed yet');
  });

  test('a due review (retention) becomes a review with its due time; one not yet due does not', () => {
    const dueAt = NOW - DAY_MS;
    const ev = evidence(shippedCurriculum, { oop: { components: { completion: 1, quiz: 1, quality: 1, consistency: 1 }, reviewDueAt: dueAt } });
    expect(topicRecommendations(ctxOf(ev), 'oop')).toEqual([expect.objectContaining({ area: 'retention', action: 'review', dueAt, expectedGain: 0.1, priority: 'high' })]);
    const later = evidence(shippedCurriculum, { oop: { components: { completion: 1, quiz: 1, quality: 1, consistency: 1 }, reviewDueAt: NOW + 1 } });
    expect(topicRecommendations(ctxOf(later), 'oop')).toEqual([]);
  });
});

describe('gains and priorities', () => {
  test('the gain is the weight times the gap to the threshold', () => {
    const ev = evidence(shippedCurriculum, { 'python-basics': { components: { completion: 0.2, quiz: 0.5, quality: 0.6, consistency: 0.5 } } });
    const gains = Object.fromEntries(topicRecommendations(ctxOf(ev), 'python-basics').map((r) => [r.area, r.expectedGain]));
    expect(gains).toEqual({ completion: 0.2, quiz: 0.06, quality: 0.02, consistency: 0.02 });
  });

  test('a prerequisite of started topics below the threshold gains a quarter more per such topic, transitively', () => {
    // control-flow is a prerequisite of functions directly and of oop through functions.
    const ev = evidence(shippedCurriculum, { 'control-flow': { components: { quiz: 0.5 } }, functions: {}, oop: {}, strings: { components: { completion: 1, quiz: 1, quality: 1, consistency: 1 } } });
    const quiz = topicRecommendations(ctxOf(ev), 'control-flow').find((r) => r.area === 'quiz')!;
    expect(quiz.expectedGain).toBe(0.09); // 0.3 × 0.2 × (1 + 2 × 0.25)
    const alone = evidence(shippedCurriculum, { 'control-flow': { components: { quiz: 0.5 } } });
    expect(topicRecommendations(ctxOf(alone), 'control-flow').find((r) => r.area === 'quiz')!.expectedGain).toBe(0.06);
  });

  test('priority cut-offs: high from 0.1, medium from 0.05, low below', () => {
    expect([0.28, 0.1, 0.0999, 0.05, 0.0499, 0].map(priorityOf)).toEqual(['high', 'high', 'medium', 'medium', 'low', 'low']);
  });

  test('sorted by priority, then gain, then topic, and cut to the limit', () => {
    const ev = evidence(shippedCurriculum, {
      'python-basics': { components: { completion: 1, quiz: 0.6, quality: 1, consistency: 1 } },
      strings: { components: { completion: 0.5, quiz: 1, quality: 0.2, consistency: 1 } },
    });
    const all = recommend(ctxOf(ev), ['python-basics', 'strings'], 50);
    expect(all.map((r) => `${r.topicId}:${r.area}:${r.priority}`)).toEqual(['strings:quality:high', 'strings:completion:medium', 'python-basics:quiz:low']);
    expect([...all].sort(compareRecommendations)).toEqual(all);
    expect(recommend(ctxOf(ev), ['python-basics', 'strings'], 2).length).toBe(2);
  });
});

describe('time estimates', () => {
  test('defaults per action: a review per lesson named, a week of sessions for schedule', () => {
    const recs = topicRecommendations(ctxOf(evidence(shippedCurriculum, { oop: {} })), 'oop');
    expect(Object.fromEntries(recs.map((r) => [r.action, r.estimatedMinutes]))).toEqual({ review: 45, practice: 20, refactor: 25, schedule: 75 });
  });

  test("calibrated by the student's own mean practice session, within half to double", () => {
    expect(calibration(evidence(shippedCurriculum, {}, { minutes: 0, sessions: 0 }), policy)).toBe(1);
    expect(calibration(evidence(shippedCurriculum, {}, { minutes: 90, sessions: 3 }), policy)).toBe(1.5);
    expect(calibration(evidence(shippedCurriculum, {}, { minutes: 300, sessions: 1 }), policy)).toBe(2);
    expect(calibration(evidence(shippedCurriculum, {}, { minutes: 5, sessions: 1 }), policy)).toBe(0.5);
    const recs = topicRecommendations(ctxOf(evidence(shippedCurriculum, { oop: {} }, { minutes: 90, sessions: 3 })), 'oop');
    expect(Object.fromEntries(recs.map((r) => [r.action, r.estimatedMinutes]))).toEqual({ review: 68, practice: 30, refactor: 38, schedule: 113 });
  });

  test('evidence counts practice sessions over all topics, from the stored states', () => {
    const practice = (minutes: number, i: number): TopicState =>
      applyEvent(emptyTopicState(NOW), parsed({ event_type: 'practice.session', data: { minutes }, event_id: `p${i}` }), model);
    const states = new Map([
      ['oop', practice(40, 1)],
      ['strings', applyEvent(practice(20, 2), parsed({ event_type: 'practice.session', data: { minutes: 30 }, event_id: 'p3' }), model)],
    ]);
    expect(evidenceOf(shippedCurriculum, states, NOW, model).practice).toEqual({ minutes: 90, sessions: 3 });
  });
});

const parsed = (raw: Record<string, unknown>) => {
  const r = parseLearningEvent({ student_id: 's', topic_id: 'oop', occurred_at: new Date(NOW - 3600_000).toISOString(), ...raw });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.event;
};

/** A seeded generator (mulberry32), so a failing case can be replayed from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random acyclic curriculum: topic i may require topics before it in a hidden order, listed shuffled. */
function randomCurriculum(random: () => number): Curriculum {
  const n = 1 + Math.floor(random() * 15);
  const hidden = Array.from({ length: n }, (_, i) => `t${i}`);
  const topics = hidden.map((id, i) => ({
    topic_id: id,
    lessons: Array.from({ length: 1 + Math.floor(random() * 5) }, (_, j) => `${id}-l${j}`),
    prerequisites: hidden.slice(0, i).filter(() => random() < 0.3),
  }));
  for (let i = topics.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [topics[i], topics[j]] = [topics[j]!, topics[i]!];
  }
  const r = parseCurriculum({ topics });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.curriculum;
}

describe('learning paths', () => {
  test('property: over random acyclic curricula and students, no step precedes a prerequisite on the path, and a target ends it', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed);
      const curriculum = randomCurriculum(random);
      const ids = [...curriculum.topics.keys()];
      const given = Object.fromEntries(ids.filter(() => random() < 0.6).map((id) => [id, { components: { completion: random(), quiz: random(), quality: random(), consistency: random() } }]));
      const ctx = ctxOf(evidence(curriculum, given), curriculum);
      const target = random() < 0.5 ? ids[Math.floor(random() * ids.length)] : undefined;
      const path = learningPath(ctx, target, 50);
      const position = new Map(path.steps.map((s, i) => [s.topicId, i]));
      for (const [i, step] of path.steps.entries()) {
        for (const p of step.prerequisites) if (position.has(p)) expect({ seed, step: step.topicId, before: position.get(p)! < i }).toEqual({ seed, step: step.topicId, before: true });
        // Only met prerequisites may be left off.
        for (const p of step.prerequisites) if (!position.has(p)) expect(ctx.evidence.topics.get(p)!.masteryScore).toBeGreaterThanOrEqual(0.7);
      }
      expect(new Set(position.keys()).size).toBe(path.steps.length);
      if (target) expect(path.steps.at(-1)!.topicId).toBe(target);
      else expect(path.steps.length).toBe(ids.filter((id) => ctx.evidence.topics.get(id)!.masteryScore < 0.7).length);
    }
  });

  test('a student with no data starts at the curriculum roots, and the whole path covers every topic', () => {
    const path = learningPath(ctxOf(evidence(shippedCurriculum, {})), undefined, 50);
    expect(path.steps[0]!.topicId).toBe('python-basics');
    expect(path.steps.length).toBe(12);
    expect(path.targetTopicId).toBeNull();
  });

  test('weak prerequisites first: of two ready topics the weaker comes first', () => {
    // control-flow and strings both need only python-basics (met).
    const ev = evidence(shippedCurriculum, {
      'python-basics': { components: { completion: 1, quiz: 1, quality: 1, consistency: 1 } },
      'control-flow': { components: { completion: 0.5, quiz: 0.5 } },
      strings: { components: { completion: 0.2 } },
    });
    const path = learningPath(ctxOf(ev), 'files-io', 50);
    expect(path.steps.map((s) => s.topicId)).toEqual(['strings', 'control-flow', 'functions', 'error-handling', 'files-io']);
  });

  test('each step carries its action, time, prerequisites and the mastery expected after it; max_steps cuts the path', () => {
    const ev = evidence(shippedCurriculum, { functions: { components: { completion: 0.5, quiz: 0.9, quality: 0.6, consistency: 0.8 } } });
    const path = learningPath(ctxOf(ev), 'functions', 50);
    const last = path.steps.at(-1)!;
    expect(last).toMatchObject({ topicId: 'functions', action: 'review', prerequisites: ['control-flow'], estimatedMinutes: 45 + 25 });
    // completion 0.5 and quality 0.6 lifted to 0.7: 0.28 + 0.27 + 0.14 + 0.08.
    expect(last.expectedMasteryAfter).toBe(0.77);
    expect(path.totalEstimatedMinutes).toBe(path.steps.reduce((a, s) => a + s.estimatedMinutes, 0));
    expect(learningPath(ctxOf(ev), 'functions', 2).steps.map((s) => s.order)).toEqual([1, 2]);
  });

  test('a target already at the threshold is a one-step path with a short review', () => {
    const ev = evidence(shippedCurriculum, { 'python-basics': { components: { completion: 1, quiz: 1, quality: 1, consistency: 1 } } });
    expect(learningPath(ctxOf(ev), 'python-basics', 50).steps).toEqual([
      expect.objectContaining({ topicId: 'python-basics', action: 'review', estimatedMinutes: 15, expectedMasteryAfter: 1 }),
    ]);
  });
});

describe('the cache key', () => {
  const settings = { threshold: 0.7, minutes: policy.minutes, reviewRetentionTarget: 0.9 };

  test('changes with the evidence, the day, the settings, the question and the curriculum', () => {
    const base = cacheKey('t1', NOW, settings, undefined, 10, 0);
    expect(cacheKey('t1', NOW + 1, settings, undefined, 10, 0)).toBe(base);
    expect(cacheKey('t2', NOW, settings, undefined, 10, 0)).not.toBe(base);
    expect(cacheKey('t1', NOW + DAY_MS, settings, undefined, 10, 0)).not.toBe(base);
    expect(cacheKey('t1', NOW, { ...settings, threshold: 0.8 }, undefined, 10, 0)).not.toBe(base);
    expect(cacheKey('t1', NOW, { ...settings, reviewRetentionTarget: 0.8 }, undefined, 10, 0)).not.toBe(base);
    expect(cacheKey('t1', NOW, settings, ['a'], 10, 0)).not.toBe(base);
    expect(cacheKey('t1', NOW, settings, undefined, 5, 0)).not.toBe(base);
    expect(cacheKey('t1', NOW, settings, undefined, 10, 1)).not.toBe(base);
    expect(cacheKey('', NOW, settings, ['b', 'a'], 10, 0)).toBe(cacheKey('', NOW, settings, ['a', 'b'], 10, 0));
  });
});

describe('the effect of feedback', () => {
  /** Snapshots of one topic with the given mastery components per day offset from the feedback. */
  const snapshots = (at: number, byDay: [number, Components][]) =>
    byDay.map(([d, c]) => ({ ...snapshotOf('oop', { ...emptyTopicState(at + d * DAY_MS), activeDays: [] }, 6, model), components: c, at: at + d * DAY_MS, day: new Date(at + d * DAY_MS).toISOString().slice(0, 10) }));
  const c = (x: number): Components => ({ completion: x, quiz: x, quality: x, consistency: 0 });

  test("the mean change of the topic's mastery over the following week, by status, with counts; a week not over is pending", () => {
    const at = NOW - 10 * DAY_MS;
    const up = snapshots(at, [[-1, c(0.2)], [3, c(0.5)]]);
    const flat = snapshots(at, [[-1, c(0.4)]]);
    const effect = measureEffect(
      [
        { status: 'completed', at, snapshots: up },
        { status: 'completed', at, snapshots: flat },
        { status: 'dismissed', at, snapshots: flat },
        { status: 'accepted', at, snapshots: up },
        { status: 'completed', at: NOW - DAY_MS, snapshots: up },
      ],
      NOW,
      model,
    );
    // One completed rose (0.5 - 0.2) × 0.9 = 0.27, plus a second active day in the window (0.1 / 14); the other stayed flat.
    expect(effect).toEqual({ horizonDays: 7, completed: { count: 2, meanChange: 0.1386 }, dismissed: { count: 1, meanChange: 0 }, pending: 1 });
  });

  test('without observations the means are null', () => {
    expect(measureEffect([], NOW, model)).toEqual({ horizonDays: 7, completed: { count: 0, meanChange: null }, dismissed: { count: 0, meanChange: null }, pending: 0 });
  });
});
