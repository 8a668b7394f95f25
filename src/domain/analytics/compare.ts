import type { CohortStore } from '../../ports/cohort-store.port';
import type { StudentRef } from '../../ports/mastery-store.port';
import { canReadStudent, visibleCohorts, type Principal } from '../access/access';
import type { Cohort } from '../access/cohort';
import { studentMasteryOf, type MasteryRules } from '../mastery/engine';
import type { HistoryDeps } from './history';
import { COMPONENTS, type Component, type Components } from '../mastery/mastery';
import type { TopicState } from '../mastery/topic-state';
import { unknownTopicsOf, type UnknownTopics } from '../mastery/curriculum';
import { cohensD, mean, median, momentsOf, percentile, percentileRank, sorted, stdDev, welchTTest } from './statistics';

/**
 * How a cohort's students stand, compared with another cohort or with one student, without
 * exposing anyone: students who withdrew analytics consent are never read, and a group too small
 * to hide its members shows its size only. docs/analytics.md defines every figure.
 */

export interface AnalyticsSettings {
  /** Fewer remaining students than this and a group shows only its size (ANALYTICS_MIN_GROUP_SIZE). */
  minGroupSize: number;
}

export interface AnalyticsDeps extends HistoryDeps {
  cohorts: CohortStore;
  analytics: AnalyticsSettings;
}

export interface CompareRequest {
  cohortId: string;
  compareTo?: { cohortId: string } | { studentId: string };
  topicIds?: readonly string[];
}

export interface TopicFigure {
  topicId: string;
  n: number;
  /** Absent when fewer than the minimum group size have a value in the topic. */
  mean?: number;
}

export interface CohortFigures {
  cohortId: string;
  n: number;
  suppressed: boolean;
  /** The rest is absent when `suppressed`. */
  excludedNoConsent?: number;
  mean?: number;
  median?: number;
  stdDev?: number;
  percentiles?: { p10: number; p25: number; p50: number; p75: number; p90: number };
  components?: Record<Component, { mean: number; median: number }>;
  topics?: TopicFigure[];
}

export interface CohortComparison {
  /** First cohort's mean less the second's. */
  difference: number;
  pValue: number;
  /** Cohen's d; null when neither group has any spread. */
  effectSize: number | null;
  test: 'welch_t';
}

export interface StudentStanding {
  studentId: string;
  /** Why the figures are absent: the student withdrew consent, or the cohort is too small. */
  withheld?: 'no_consent' | 'cohort_suppressed';
  masteryScore?: number;
  percentileRank?: number;
  components?: Record<Component, { value: number; percentileRank: number }>;
}

export interface Comparison {
  cohorts: CohortFigures[];
  comparison?: CohortComparison;
  student?: StudentStanding;
}

export type CompareResult =
  | { kind: 'ok'; comparison: Comparison }
  /** Missing, or not the principal's to see: the same answer, so a cohort id discloses nothing. */
  | { kind: 'cohort_not_found'; cohortId: string }
  | { kind: 'student_forbidden' }
  | UnknownTopics;

/** One student's overall value, its topics' scores, and components over the same topics. */
interface StudentValue {
  score: number;
  components: Components;
  topics: { topicId: string; score: number }[];
}

const round6 = (x: number): number => Math.round(x * 1_000_000) / 1_000_000;

/** The student's overall mastery now (as /mastery/query answers it) and the mean of its topics' components. */
function valueOf(deps: MasteryRules, studentId: string, states: ReadonlyMap<string, TopicState>, topicIds: readonly string[] | undefined, asOf: number): StudentValue {
  const m = studentMasteryOf(deps, studentId, states, topicIds, asOf);
  const n = m.topics.length;
  const avg = (c: Component) => (n === 0 ? 0 : m.topics.reduce((s, t) => s + t.components[c], 0) / n);
  return {
    score: m.overall.masteryScore,
    components: { completion: avg('completion'), quiz: avg('quiz'), quality: avg('quality'), consistency: avg('consistency') },
    topics: m.topics.map((t) => ({ topicId: t.topicId, score: t.masteryScore })),
  };
}

/** A cohort's consenting members and what they are worth; nothing is read for those who withdrew or for a suppressed group. */
interface Group {
  figures: CohortFigures;
  /** Per included student, in roster order; empty when suppressed. */
  members: { studentId: string; value: StudentValue }[];
}

async function readGroup(deps: AnalyticsDeps & MasteryRules, cohort: Cohort, topicIds: readonly string[] | undefined, asOf: number): Promise<Group> {
  const refs: StudentRef[] = cohort.studentIds.map((studentId) => ({ tenantId: cohort.tenantId, studentId }));
  const consents = await deps.store.getConsentMany(refs);
  const included = refs.filter((_, i) => consents[i]?.analytics ?? deps.consentByDefault);
  const n = included.length;
  if (n < deps.analytics.minGroupSize) return { figures: { cohortId: cohort.cohortId, n, suppressed: true }, members: [] };

  const states = await deps.store.listTopicsMany(included);
  const members = included.map((ref, i) => ({ studentId: ref.studentId, value: valueOf(deps, ref.studentId, states[i]!, topicIds, asOf) }));
  const scores = members.map((m) => m.value.score);
  const asc = sorted(scores);
  const components = Object.fromEntries(
    COMPONENTS.map((c) => {
      const values = members.map((m) => m.value.components[c]);
      return [c, { mean: round6(mean(values)), median: round6(median(sorted(values))) }];
    }),
  ) as Record<Component, { mean: number; median: number }>;
  return {
    figures: {
      cohortId: cohort.cohortId,
      n,
      suppressed: false,
      excludedNoConsent: refs.length - n,
      mean: round6(mean(scores)),
      median: round6(median(asc)),
      stdDev: round6(stdDev(scores)),
      percentiles: { p10: round6(percentile(asc, 10)), p25: round6(percentile(asc, 25)), p50: round6(percentile(asc, 50)), p75: round6(percentile(asc, 75)), p90: round6(percentile(asc, 90)) },
      components,
      topics: topicFigures(members.map((m) => m.value), topicIds, deps.analytics.minGroupSize),
    },
    members,
  };
}

/**
 * Per topic: with `topicIds`, every included student counts (0 without events, as in their
 * overall score); without, the students with events in the topic. A topic with fewer of them
 * than the minimum group size shows only its count.
 */
function topicFigures(values: readonly StudentValue[], topicIds: readonly string[] | undefined, minGroupSize: number): TopicFigure[] {
  const scores = new Map<string, number[]>();
  for (const id of topicIds ?? []) scores.set(id, []);
  for (const v of values) {
    for (const t of v.topics) {
      const list = scores.get(t.topicId);
      if (list) list.push(t.score);
      else scores.set(t.topicId, [t.score]);
    }
  }
  return [...scores.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([topicId, list]) => (list.length < minGroupSize ? { topicId, n: list.length } : { topicId, n: list.length, mean: round6(mean(list)) }));
}

/** Where the student stands among the cohort's included students (themselves among them). */
async function standingOf(deps: AnalyticsDeps & MasteryRules, group: Group, tenantId: string, studentId: string, asOf: number, topicIds: readonly string[] | undefined): Promise<StudentStanding> {
  if (group.figures.suppressed) return { studentId, withheld: 'cohort_suppressed' };
  const member = group.members.find((m) => m.studentId === studentId);
  let value = member?.value;
  const population = group.members.map((m) => m.value);
  if (!value) {
    const ref = { tenantId, studentId };
    const [consent] = await deps.store.getConsentMany([ref]);
    if (!(consent?.analytics ?? deps.consentByDefault)) return { studentId, withheld: 'no_consent' };
    const [states] = await deps.store.listTopicsMany([ref]);
    value = valueOf(deps, studentId, states!, topicIds, asOf);
    population.push(value);
  }
  const own = value;
  const components = Object.fromEntries(
    COMPONENTS.map((c) => [c, { value: round6(own.components[c]), percentileRank: round6(percentileRank(population.map((p) => p.components[c]), own.components[c])) }]),
  ) as Record<Component, { value: number; percentileRank: number }>;
  return {
    studentId,
    masteryScore: own.score,
    percentileRank: round6(percentileRank(population.map((p) => p.score), own.score)),
    components,
  };
}

/**
 * The use case. Teachers compare cohorts they teach and rank students they teach; admins and
 * services anything in their tenant; anyone else finds no cohort.
 */
export async function compareCohorts(deps: AnalyticsDeps, principal: Principal, req: CompareRequest): Promise<CompareResult> {
  const { curriculum } = await deps.curricula.forTenant(principal.tenantId);
  const ruled = { ...deps, curriculum };
  const unknown = unknownTopicsOf(curriculum, req.topicIds);
  if (unknown) return unknown;
  const cohortIds = [req.cohortId, ...(req.compareTo && 'cohortId' in req.compareTo ? [req.compareTo.cohortId] : [])];
  const found = await Promise.all(cohortIds.map((id) => deps.cohorts.get(principal.tenantId, id)));
  const cohorts: Cohort[] = [];
  for (const [i, cohort] of found.entries()) {
    if (!cohort || visibleCohorts(principal, [cohort]).length === 0) return { kind: 'cohort_not_found', cohortId: cohortIds[i]! };
    cohorts.push(cohort);
  }
  const target = req.compareTo && 'studentId' in req.compareTo ? req.compareTo.studentId : undefined;
  if (target !== undefined) {
    const rosters = principal.role === 'teacher' ? await deps.cohorts.list(principal.tenantId) : [];
    if (!canReadStudent(principal, target, rosters)) return { kind: 'student_forbidden' };
  }

  const asOf = deps.clock.now();
  const groups = await Promise.all(cohorts.map((c) => readGroup(ruled, c, req.topicIds, asOf)));
  const result: Comparison = { cohorts: groups.map((g) => g.figures) };
  const [first, second] = groups;
  // Welch's test needs a variance on each side: two students at least, whatever the setting.
  if (second && !first!.figures.suppressed && !second.figures.suppressed && first!.figures.n >= 2 && second.figures.n >= 2) {
    const a = momentsOf(first!.members.map((m) => m.value.score));
    const b = momentsOf(second.members.map((m) => m.value.score));
    const d = cohensD(a, b);
    result.comparison = { difference: round6(a.mean - b.mean), pValue: welchTTest(a, b).pValue, effectSize: d === undefined ? null : round6(d), test: 'welch_t' };
  }
  if (target !== undefined) result.student = await standingOf(ruled, first!, principal.tenantId, target, asOf, req.topicIds);
  return { kind: 'ok', comparison: result };
}
