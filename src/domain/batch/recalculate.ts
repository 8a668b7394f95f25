import type { Clock } from '../../ports/clock.port';
import type { MasteryStore, StudentRef } from '../../ports/mastery-store.port';
import type { MasteryUpdate, MasteryUpdates } from '../../ports/mastery-updates.port';
import type { PredictionCache } from '../../ports/prediction-cache.port';
import type { SnapshotWrite, SnapshotWriter } from '../../ports/snapshot-writer.port';
import { announce } from '../mastery/announce';
import type { Curriculum } from '../mastery/curriculum';
import type { CurriculumSource } from '../../ports/curriculum-source.port';
import { studentMasteryOf } from '../mastery/engine';
import { calculateMastery, levelOf } from '../mastery/mastery';
import { dayOf, isoDay, masteryOf, snapshotOf, type DaySnapshot, type ModelPolicy, type TopicState } from '../mastery/topic-state';
import type { ChunkOutcome, StudentFailure, StudentResult } from './batch';

export interface RecalculationDeps {
  store: MasteryStore;
  snapshots: SnapshotWriter;
  clock: Clock;
  /** Each tenant's curriculum: a chunk is recalculated under its tenant's current one. */
  curricula: CurriculumSource;
  policy: ModelPolicy;
  consentByDefault: boolean;
  predictionCache: PredictionCache;
  /** Where level changes are announced (Kafka), when configured. */
  updates?: MasteryUpdates;
}

/**
 * The snapshot of `now`'s day for a topic, as a recalculation writes it. On a day with events it is
 * exactly the snapshot an event writes (with today's curriculum and policy); on a day without, it
 * is marked `recalculated`: the day's value, not an active day (as-of.ts counts only active days).
 */
export function recalculatedSnapshot(topicId: string, state: TopicState, lessonsInTopic: number, now: number, policy: ModelPolicy): DaySnapshot {
  if (dayOf(state.lastAt) >= dayOf(now)) return snapshotOf(topicId, state, lessonsInTopic, policy);
  const m = masteryOf(state, lessonsInTopic, now, policy);
  return { topicId, day: isoDay(dayOf(now)), masteryScore: m.masteryScore, components: m.components, at: state.lastAt, eventCount: state.eventCount, recalculated: true };
}

/** The event id a recalculation's updates carry: one per day, so a consumer sees a repeat as one. */
export const recalculationEventId = (now: number): string => `recalculation:${isoDay(dayOf(now))}`;

/**
 * Whether a new snapshot changes what predictions are computed from. They read the history
 * through dailyValues (as-of.ts), which takes completion, quiz and quality from the latest
 * snapshot and counts consistency from the active days, so a snapshot that only moved consistency
 * (a day without events) leaves every cached prediction as it would be computed now; one whose
 * other components moved (a curriculum change) or that follows nothing does not.
 */
function movesPredictions(snapshot: DaySnapshot, previous: DaySnapshot | undefined): boolean {
  if (!previous) return true;
  const [a, b] = [snapshot.components, previous.components];
  return a.completion !== b.completion || a.quiz !== b.quiz || a.quality !== b.quality;
}

type StudentOutcome = { kind: 'result'; result: StudentResult; updates: MasteryUpdate[] } | { kind: 'failure'; failure: StudentFailure };

/**
 * Brings one student up to date as of `now`: each topic's mastery recomputed, the day's snapshot
 * written, cached predictions dropped when a snapshot changed what they are computed from, and an
 * update for each topic whose level moved since its latest snapshot. Idempotent within a day: a second run finds identical
 * snapshots, writes nothing, drops nothing and announces nothing. (Recommendations need no drop:
 * their cache key holds the day, the event fingerprint and the curriculum version, see recommendations.ts cacheKey.)
 */
async function recalculateStudent(deps: RecalculationDeps, curriculum: Curriculum, ref: StudentRef, states: Map<string, TopicState>, topicIds: readonly string[] | undefined, now: number): Promise<StudentOutcome> {
  if (states.size === 0) return { kind: 'failure', failure: { studentId: ref.studentId, code: 'unknown_student' } };
  const topics = [...states.keys()].filter((t) => !topicIds || topicIds.includes(t)).sort();
  const lessons = (t: string) => curriculum.topics.get(t)?.lessons.length ?? 0;
  const writes: SnapshotWrite[] = topics.map((t) => {
    const s = states.get(t)!;
    return { topicId: t, basis: { eventCount: s.eventCount, lastAt: s.lastAt }, snapshot: recalculatedSnapshot(t, s, lessons(t), now, deps.policy) };
  });
  const updates: MasteryUpdate[] = [];
  const written = await deps.snapshots.recordSnapshots(ref, writes);
  if (written.some((w, i) => w.outcome === 'written' && movesPredictions(writes[i]!.snapshot, w.previous))) await deps.predictionCache.forgetStudent(ref, now);
  writes.forEach((w, i) => {
    const { outcome, previous } = written[i]!;
    if (outcome !== 'written') return;
    const m = calculateMastery(w.snapshot.components, deps.policy.thresholds);
    if (previous && levelOf(previous.masteryScore, deps.policy.thresholds) === m.level) return;
    updates.push({ ...ref, topicId: w.topicId, masteryScore: m.masteryScore, level: m.level, components: m.components, eventId: recalculationEventId(now), occurredAt: now });
  });
  const mastery = studentMasteryOf({ curriculum, policy: deps.policy }, ref.studentId, states, topicIds, now);
  return { kind: 'result', result: { studentId: ref.studentId, overall: mastery.overall, topicsRecalculated: topics.length }, updates };
}

/**
 * Students of one chunk recalculated at once. Enough writes in flight to keep the store busy; all
 * 500 of a chunk at once (times the chunks a replica runs) queued thousands of commands in Redis
 * ahead of every interactive request, which then timed out (measured in bench/batch.ts).
 */
const STUDENTS_IN_FLIGHT = 64;

/** `fn` over the items with at most `limit` calls pending at once; results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Recalculates a chunk of one tenant's students: states and consents read for all at once, then
 * STUDENTS_IN_FLIGHT students at a time. A student without state or without consent is a counted failure; a
 * failing store rejects the whole chunk, which is then retried (every step is idempotent).
 */
export async function recalculateChunk(deps: RecalculationDeps, tenantId: string, studentIds: readonly string[], topicIds?: readonly string[]): Promise<ChunkOutcome> {
  const now = deps.clock.now();
  const refs = studentIds.map((studentId) => ({ tenantId, studentId }));
  const [students, { curriculum }] = await Promise.all([deps.snapshots.readStudents(refs), deps.curricula.forTenant(tenantId)]);
  const outcomes = await mapLimited(refs, STUDENTS_IN_FLIGHT, (ref, i): Promise<StudentOutcome> => {
    const { topics, consent } = students[i]!;
    if (!(consent?.analytics ?? deps.consentByDefault)) return Promise.resolve({ kind: 'failure', failure: { studentId: ref.studentId, code: 'no_consent' } });
    return recalculateStudent(deps, curriculum, ref, topics, topicIds, now);
  });
  const result: ChunkOutcome = { results: [], failures: [] };
  const updates: MasteryUpdate[] = [];
  for (const o of outcomes) {
    if (o.kind === 'failure') result.failures.push(o.failure);
    else {
      result.results.push(o.result);
      updates.push(...o.updates);
    }
  }
  if (deps.updates) await announce({ store: deps.store, updates: deps.updates }, updates, now);
  return result;
}
