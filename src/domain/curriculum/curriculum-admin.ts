/**
 * Curriculum as managed data: a tenant replaces the shipped curriculum with its own, versioned.
 * This file holds the use case and the one rule about consequences: which topics' lessons changed,
 * and so which students' recorded history was computed against other lessons.
 */
import type { Clock } from '../../ports/clock.port';
import type { CohortStore } from '../../ports/cohort-store.port';
import type { CurriculumSource } from '../../ports/curriculum-source.port';
import type { CurriculumStore } from '../../ports/curriculum-store.port';
import type { MasteryStore, StudentRef } from '../../ports/mastery-store.port';
import { documentOf, parseCurriculum, type Curriculum, type CurriculumProblem } from '../mastery/curriculum';

export interface CurriculumAdminDeps {
  curricula: CurriculumSource;
  curriculumStore: CurriculumStore;
  store: MasteryStore;
  cohorts: CohortStore;
  clock: Clock;
}

export interface LessonChange {
  topicId: string;
  lessonsAdded: string[];
  lessonsRemoved: string[];
}

/**
 * What a replacement means for students already recorded. Their mastery now is computed with the
 * new lessons at once (completion is counted at read time), but the day snapshots behind history,
 * predictions and analytics were written with the old lesson count until a batch recalculation
 * rewrites them.
 */
export interface Recalculation {
  topics: LessonChange[];
  /** Students of the tenant's cohorts with state in a changed topic, sorted, at most MAX_LISTED_STUDENTS. */
  studentIds: string[];
  /** More students were affected than listed. */
  truncated: boolean;
}

export type ReplaceResult =
  | { kind: 'invalid'; problems: CurriculumProblem[] }
  | { kind: 'stale'; currentVersion: number }
  | { kind: 'replaced'; version: number; updatedAt: number; curriculum: Curriculum; recalculation: Recalculation };

/**
 * The most students one answer lists: a batch request takes at most 10,000 (MAX_BATCH_STUDENTS on
 * the batch side), and the answer must stay one small response.
 */
export const MAX_LISTED_STUDENTS = 10_000;

/** Rosters are read this many students per round trip. */
const READ_CHUNK = 500;

/** Topics in both curricula whose lesson sets differ, in the new curriculum's order. */
export function lessonChanges(before: Curriculum, after: Curriculum): LessonChange[] {
  const changes: LessonChange[] = [];
  for (const topic of after.topics.values()) {
    const old = before.topics.get(topic.topicId);
    if (!old) continue;
    const added = topic.lessons.filter((l) => !old.lessons.includes(l));
    const removed = old.lessons.filter((l) => !topic.lessons.includes(l));
    if (added.length > 0 || removed.length > 0) changes.push({ topicId: topic.topicId, lessonsAdded: added, lessonsRemoved: removed });
  }
  return changes;
}

/**
 * Students to recalculate: state is kept under pseudonyms, so the store cannot list who has a topic;
 * the tenant's cohorts name its students, and those with state in a changed topic are affected.
 * Students in no cohort are not found this way (docs/api.md says so).
 */
async function affectedStudents(deps: CurriculumAdminDeps, tenantId: string, topicIds: readonly string[]): Promise<{ studentIds: string[]; truncated: boolean }> {
  if (topicIds.length === 0) return { studentIds: [], truncated: false };
  const roster = [...new Set((await deps.cohorts.list(tenantId)).flatMap((c) => c.studentIds))].sort();
  const affected: string[] = [];
  for (let i = 0; i < roster.length; i += READ_CHUNK) {
    const refs: StudentRef[] = roster.slice(i, i + READ_CHUNK).map((studentId) => ({ tenantId, studentId }));
    const states = await deps.store.listTopicsMany(refs);
    refs.forEach((ref, j) => {
      if (topicIds.some((t) => states[j]!.has(t))) affected.push(ref.studentId);
    });
    if (affected.length > MAX_LISTED_STUDENTS) break;
  }
  return { studentIds: affected.slice(0, MAX_LISTED_STUDENTS), truncated: affected.length > MAX_LISTED_STUDENTS };
}

/**
 * Replaces the tenant's curriculum if `expectedVersion` is the one in use (0: the shipped file),
 * after checking the document whole. The comparison is the store's, so of two editors who read the
 * same version one wins and the other gets `stale`.
 */
export async function replaceCurriculum(deps: CurriculumAdminDeps, tenantId: string, expectedVersion: number, raw: unknown, updatedBy: string): Promise<ReplaceResult> {
  const parsed = parseCurriculum(raw);
  if (!parsed.ok) return { kind: 'invalid', problems: parsed.problems };
  // Read fresh, not from this replica's copy: the lessons compared must be those of the version replaced.
  deps.curricula.changed(tenantId);
  const before = await deps.curricula.forTenant(tenantId);
  if (before.version !== expectedVersion) return { kind: 'stale', currentVersion: before.version };
  // Students are read before the write: a store failure then leaves nothing written, and the
  // client's retry with the same If-Match succeeds instead of meeting its own write as a 412.
  const topics = lessonChanges(before.curriculum, parsed.curriculum);
  const students = await affectedStudents(deps, tenantId, topics.map((t) => t.topicId));
  const updatedAt = deps.clock.now();
  const written = await deps.curriculumStore.replace(tenantId, expectedVersion, { document: documentOf(parsed.curriculum), updatedAt, updatedBy });
  deps.curricula.changed(tenantId);
  if (written.kind === 'stale') return { kind: 'stale', currentVersion: written.currentVersion };
  return { kind: 'replaced', version: written.version, updatedAt, curriculum: parsed.curriculum, recalculation: { topics, ...students } };
}
