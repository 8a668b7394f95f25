import { ID_PATTERN } from './event';

/**
 * The curriculum says which lessons make up each topic: the denominator of completion, and the
 * order (prerequisites) later used for learning paths. It ships as data and can be replaced.
 */
export interface Topic {
  topicId: string;
  title: string;
  lessons: readonly string[];
  prerequisites: readonly string[];
}

export interface Curriculum {
  readonly topics: ReadonlyMap<string, Topic>;
  /** Lesson ids per topic as a set, so membership checks are O(1). */
  hasLesson(topicId: string, lessonId: string): boolean;
}

export type CurriculumResult = { ok: true; curriculum: Curriculum } | { ok: false; errors: string[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIdList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && ID_PATTERN.test(x));

/** Parses `{topics: [{topic_id, title, lessons: [id], prerequisites?: [topic_id]}]}`, listing every problem. */
export function parseCurriculum(raw: unknown): CurriculumResult {
  const errors: string[] = [];
  if (!isObj(raw) || !Array.isArray(raw.topics) || raw.topics.length === 0) {
    return { ok: false, errors: ['curriculum must be an object with a non-empty "topics" array'] };
  }
  const topics = new Map<string, Topic>();
  raw.topics.forEach((t: unknown, i: number) => {
    const at = `topics[${i}]`;
    if (!isObj(t)) return void errors.push(`${at} must be an object`);
    const id = t.topic_id;
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return void errors.push(`${at}.topic_id must be a valid id`);
    if (topics.has(id)) return void errors.push(`${at}.topic_id "${id}" is repeated`);
    if (!isIdList(t.lessons) || t.lessons.length === 0) return void errors.push(`${at}.lessons must be a non-empty list of ids`);
    if (new Set(t.lessons).size !== t.lessons.length) return void errors.push(`${at}.lessons has repeated ids`);
    const prerequisites = t.prerequisites ?? [];
    if (!isIdList(prerequisites)) return void errors.push(`${at}.prerequisites must be a list of topic ids`);
    topics.set(id, { topicId: id, title: typeof t.title === 'string' ? t.title : id, lessons: t.lessons, prerequisites });
  });
  for (const t of topics.values()) {
    for (const p of t.prerequisites) if (!topics.has(p)) errors.push(`topic "${t.topicId}" names unknown prerequisite "${p}"`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const cycle = prerequisiteCycle(topics);
  if (cycle) return { ok: false, errors: [`prerequisites form a cycle: ${cycle.join(' -> ')} (a learning path could never start it)`] };
  const lessonSets = new Map([...topics.values()].map((t) => [t.topicId, new Set(t.lessons)]));
  return {
    ok: true,
    curriculum: { topics, hasLesson: (topicId, lessonId) => lessonSets.get(topicId)?.has(lessonId) ?? false },
  };
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
