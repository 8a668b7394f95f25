import { ID_PATTERN } from './event';

/**
 * The curriculum says which lessons make up each topic: the denominator of completion, and the
 * order (prerequisites) later used for learning paths. It ships as data (the default of every
 * tenant) and a tenant may replace it through the API (src/domain/curriculum).
 */
export interface Topic {
  topicId: string;
  title: string;
  lessons: readonly string[];
  prerequisites: readonly string[];
}

/** Where an xAPI activity IRI that the default `/topics/{id}[/lessons/{id}]` form cannot name points. */
export interface ActivityTarget {
  topicId: string;
  lessonId?: string;
}

export interface Curriculum {
  readonly topics: ReadonlyMap<string, Topic>;
  /** The optional xAPI mapping table: activity IRI -> topic (and lesson). */
  readonly activities: ReadonlyMap<string, ActivityTarget>;
  /** Lesson ids per topic as a set, so membership checks are O(1). */
  hasLesson(topicId: string, lessonId: string): boolean;
}

/** A request named topics the tenant's curriculum does not have: the use cases answer this, the routes a 400 naming them. */
export type UnknownTopics = { kind: 'unknown_topics'; topicIds: string[] };

/** The ids of `topicIds` (absent: none) the curriculum does not have, as an answer; undefined when all are known. */
export function unknownTopicsOf(curriculum: Curriculum, topicIds: readonly string[] | undefined): UnknownTopics | undefined {
  const unknown = (topicIds ?? []).filter((t) => !curriculum.topics.has(t));
  return unknown.length > 0 ? { kind: 'unknown_topics', topicIds: unknown } : undefined;
}

/** One problem of a curriculum document: where (a dotted path) and what. */
export interface CurriculumProblem {
  field: string;
  message: string;
}

export type CurriculumResult = { ok: true; curriculum: Curriculum } | { ok: false; errors: string[]; problems: CurriculumProblem[] };

/** An activity IRI is a key of a lookup table and ends up in responses: bounded like a URL. */
export const MAX_IRI_LENGTH = 2048;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIdList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && ID_PATTERN.test(x));

const failed = (problems: CurriculumProblem[]): CurriculumResult => ({ ok: false, problems, errors: problems.map((p) => (p.field ? `${p.field} ${p.message}` : p.message)) });

/**
 * Parses `{topics: [{topic_id, title, lessons: [id], prerequisites?: [topic_id]}], activities?:
 * [{iri, topic_id, lesson_id?}]}`, listing every problem: an editor fixing a curriculum by hand
 * should see all of them in one answer, not one per attempt. Other top-level fields (`version`,
 * `description`) are ignored.
 */
export function parseCurriculum(raw: unknown): CurriculumResult {
  if (!isObj(raw) || !Array.isArray(raw.topics) || raw.topics.length === 0) {
    return failed([{ field: 'topics', message: 'curriculum must be an object with a non-empty "topics" array' }]);
  }
  // Every topic_id the document names, valid or not: a reference to one is not also reported as unknown.
  const named = new Set(raw.topics.map((t: unknown) => (isObj(t) ? t.topic_id : undefined)));
  const problems: CurriculumProblem[] = [];
  const add = (field: string, message: string) => void problems.push({ field, message });
  const topics = new Map<string, Topic>();
  raw.topics.forEach((t: unknown, i: number) => {
    const at = `topics[${i}]`;
    if (!isObj(t)) return add(at, 'must be an object');
    const id = t.topic_id;
    const idOk = typeof id === 'string' && ID_PATTERN.test(id);
    if (!idOk) add(`${at}.topic_id`, 'must be a valid id (letters, digits and . _ : -, at most 128)');
    else if (topics.has(id)) add(`${at}.topic_id`, `repeats "${id}"`);
    if (t.title !== undefined && (typeof t.title !== 'string' || t.title.length === 0 || t.title.length > 200)) add(`${at}.title`, 'must be a string of 1 to 200 characters');
    const lessonsOk = isIdList(t.lessons) && t.lessons.length > 0;
    if (!lessonsOk) add(`${at}.lessons`, 'must be a non-empty list of ids');
    else {
      const seen = new Set<string>();
      for (const l of t.lessons as string[]) {
        if (seen.has(l)) add(`${at}.lessons`, `repeats lesson "${l}"`);
        seen.add(l);
      }
    }
    const prerequisites = t.prerequisites ?? [];
    const prerequisitesOk = isIdList(prerequisites);
    if (!prerequisitesOk) add(`${at}.prerequisites`, 'must be a list of topic ids');
    if (idOk && !topics.has(id) && lessonsOk && prerequisitesOk) {
      topics.set(id, { topicId: id, title: typeof t.title === 'string' && t.title.length > 0 ? t.title : id, lessons: t.lessons as string[], prerequisites });
    }
  });
  raw.topics.forEach((t: unknown, i: number) => {
    if (!isObj(t) || !isIdList(t.prerequisites)) return;
    for (const p of t.prerequisites) if (!named.has(p)) add(`topics[${i}].prerequisites`, `names unknown topic "${p}"`);
  });
  const activities = parseActivities(raw.activities, topics, named, add);
  if (problems.length > 0) return failed(problems);
  const cycle = prerequisiteCycle(topics);
  if (cycle) return failed([{ field: '', message: `prerequisites form a cycle: ${cycle.join(' -> ')} (a learning path could never start it)` }]);
  const lessonSets = new Map([...topics.values()].map((t) => [t.topicId, new Set(t.lessons)]));
  return {
    ok: true,
    curriculum: { topics, activities, hasLesson: (topicId, lessonId) => lessonSets.get(topicId)?.has(lessonId) ?? false },
  };
}

/** The xAPI mapping table: each IRI once, naming a topic of this curriculum and, if a lesson, one of its lessons. */
function parseActivities(raw: unknown, topics: ReadonlyMap<string, Topic>, named: ReadonlySet<unknown>, add: (field: string, message: string) => void): Map<string, ActivityTarget> {
  const activities = new Map<string, ActivityTarget>();
  if (raw === undefined) return activities;
  if (!Array.isArray(raw)) {
    add('activities', 'must be a list of {iri, topic_id, lesson_id?}');
    return activities;
  }
  raw.forEach((a: unknown, i: number) => {
    const at = `activities[${i}]`;
    if (!isObj(a)) return add(at, 'must be an object');
    const { iri, topic_id: topicId, lesson_id: lessonId } = a;
    if (typeof iri !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(iri) || iri.length > MAX_IRI_LENGTH) add(`${at}.iri`, `must be an absolute IRI of at most ${MAX_IRI_LENGTH} characters`);
    else if (activities.has(iri)) add(`${at}.iri`, `repeats "${iri}"`);
    if (typeof topicId !== 'string' || !named.has(topicId)) return add(`${at}.topic_id`, `must name a topic of this curriculum`);
    if (lessonId !== undefined && (typeof lessonId !== 'string' || (topics.has(topicId) && !topics.get(topicId)!.lessons.includes(lessonId)))) {
      return add(`${at}.lesson_id`, `must name a lesson of topic "${topicId}"`);
    }
    if (typeof iri === 'string' && !activities.has(iri)) activities.set(iri, { topicId, ...(typeof lessonId === 'string' ? { lessonId } : {}) });
  });
  return activities;
}

/** The curriculum in its wire form (the document parseCurriculum reads), for GET and for storage. */
export interface CurriculumDocument {
  topics: { topic_id: string; title: string; lessons: string[]; prerequisites: string[] }[];
  activities?: { iri: string; topic_id: string; lesson_id?: string }[];
}

export function documentOf(c: Curriculum): CurriculumDocument {
  const topics = [...c.topics.values()].map((t) => ({ topic_id: t.topicId, title: t.title, lessons: [...t.lessons], prerequisites: [...t.prerequisites] }));
  if (c.activities.size === 0) return { topics };
  return { topics, activities: [...c.activities].map(([iri, a]) => ({ iri, topic_id: a.topicId, ...(a.lessonId !== undefined ? { lesson_id: a.lessonId } : {}) })) };
}

/**
 * One prerequisite cycle as a path that ends where it starts (`a -> b -> a`), or undefined when
 * there is none: learning paths order topics after their prerequisites, which a cycle makes
 * impossible, so the curriculum is refused at start-up rather than a path request failing later.
 */
function prerequisiteCycle(topics: ReadonlyMap<string, Topic>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const at = onPath.indexOf(id);
    if (at >= 0) return [...onPath.slice(at), id];
    if (done.has(id)) return undefined;
    onPath.push(id);
    for (const p of topics.get(id)?.prerequisites ?? []) {
      const cycle = visit(p);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(id);
    return undefined;
  };
  for (const id of topics.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}
