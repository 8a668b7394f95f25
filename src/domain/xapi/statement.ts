/**
 * xAPI statements (1.0.3 and 2.0) as learning events. Learning platforms already emit them; this
 * maps the few that say something about mastery to our envelope, which then goes through the one
 * ingest path like any other event. Pure: a statement, the tenant's curriculum and the settings in;
 * a wire event, or the reason there is none, out. docs/xapi.md is the reader's version of this file.
 */
import type { Curriculum } from '../mastery/curriculum';
import { MAX_PRACTICE_MINUTES, type FieldError } from '../mastery/event';

export const VERBS = {
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  passed: 'http://adlnet.gov/expapi/verbs/passed',
  failed: 'http://adlnet.gov/expapi/verbs/failed',
  scored: 'http://adlnet.gov/expapi/verbs/scored',
  experienced: 'http://adlnet.gov/expapi/verbs/experienced',
} as const;

/** The activity type that marks an assessment: its scored statements are quizzes wherever it sits. */
export const ASSESSMENT_TYPE = 'http://adlnet.gov/expapi/activities/assessment';

/** Which verb and result extension carry a code review's quality (XAPI_CODE_QUALITY_VERB / _EXTENSION). */
export interface XapiSettings {
  codeQualityVerb: string;
  codeQualityExtension: string;
}

/** The statement versions this mapping reads; others may differ in ways it cannot see. */
export const XAPI_VERSION = /^(1\.0(\.\d+)?|2\.0(\.\d+)?)$/;

export type StatementMapping =
  /** The event to ingest, in the wire envelope of POST /api/v1/events. */
  | { kind: 'event'; statementId: string; event: Record<string, unknown> }
  /** A well-formed statement that says nothing about mastery (a `launched`, a topic `completed` without a score). */
  | { kind: 'not_mapped'; statementId?: string; message: string }
  | { kind: 'rejected'; statementId?: string; errors: FieldError[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** Where an activity points: a lesson of a topic, or a topic. */
interface Target {
  topicId: string;
  lessonId?: string;
}

/** `…/topics/{topic_id}/lessons/{lesson_id}` or `…/topics/{topic_id}`, whatever scheme and host come before, a trailing slash allowed. */
const DEFAULT_IRI = /\/topics\/([^/?#]+)(?:\/lessons\/([^/?#]+))?\/?$/;

/** The mapping table first (a platform's own IRIs), then the default form. */
export function targetOf(iri: string, curriculum: Curriculum): Target | undefined {
  const mapped = curriculum.activities.get(iri);
  if (mapped) return mapped;
  const m = DEFAULT_IRI.exec(iri.replace(/[?#].*$/, ''));
  if (!m) return undefined;
  try {
    const topicId = decodeURIComponent(m[1]!);
    return m[2] === undefined ? { topicId } : { topicId, lessonId: decodeURIComponent(m[2]) };
  } catch {
    return undefined;
  }
}

/** ISO 8601 duration (`PT45M`, `PT1H30M`, `P1DT2H`, `PT90.5S`) in minutes, or undefined when it is not one. */
export function durationMinutes(text: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [w, d, h, min, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x))) as [number, number, number, number, number];
  return Math.round(((w * 7 + d) * 1440 + h * 60 + min + s / 60) * 100) / 100;
}

/**
 * xAPI 1.0.3 only recommends a time zone on timestamps, and its conformance suite reads one
 * without as UTC; 2.0 requires it. So a zoneless time is UTC unless the statement says it is 2.0,
 * where the ingest path's own check rejects it.
 */
function withZone(time: string | undefined, version: unknown): string | undefined {
  if (time === undefined || (typeof version === 'string' && version.startsWith('2.'))) return time;
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(time) ? `${time}Z` : time;
}

/**
 * The score in [0, 1]: `scaled` when given (a negative one is out of range: our scores have no
 * "worse than nothing"), else `raw` between `min` and `max`. Undefined when the result has no score.
 */
function scoreOf(result: Obj | undefined, errors: FieldError[]): number | undefined {
  const score = result?.score;
  if (score === undefined) return undefined;
  if (!isObj(score)) return void errors.push({ field: 'result.score', code: 'invalid_type', message: 'result.score must be an object' });
  if (score.scaled !== undefined) {
    if (typeof score.scaled !== 'number' || score.scaled < 0 || score.scaled > 1) return void errors.push({ field: 'result.score.scaled', code: 'out_of_range', message: 'result.score.scaled must be a number between 0 and 1' });
    return score.scaled;
  }
  const { raw, min, max } = score;
  if (raw === undefined) return undefined;
  if (typeof raw !== 'number' || typeof min !== 'number' || typeof max !== 'number' || !(max > min) || raw < min || raw > max) {
    return void errors.push({ field: 'result.score', code: 'invalid_format', message: 'result.score needs scaled in [0, 1], or raw with min and max (min <= raw <= max, min < max)' });
  }
  return (raw - min) / (max - min);
}

/**
 * One statement to one event. Statement `id` becomes `event_id` (resending is idempotent),
 * `timestamp` `occurred_at` (`stored` when there is no timestamp), `actor.account.name` the
 * student. The event's own checks (ids, times, the curriculum) are the ingest path's.
 */
export function mapStatement(raw: unknown, curriculum: Curriculum, settings: XapiSettings, tenantId: string): StatementMapping {
  if (!isObj(raw)) return { kind: 'rejected', errors: [{ field: '', code: 'invalid_type', message: 'a statement must be a JSON object' }] };
  const statementId = str(raw.id);
  const reject = (errors: FieldError[]): StatementMapping => ({ kind: 'rejected', ...(statementId ? { statementId } : {}), errors });
  const errors: FieldError[] = [];
  if (!statementId) errors.push({ field: 'id', code: 'required', message: 'id is required: it becomes the event id, so a resent statement is recognised' });
  if (raw.version !== undefined && !(typeof raw.version === 'string' && XAPI_VERSION.test(raw.version))) {
    errors.push({ field: 'version', code: 'unknown_value', message: 'version must be 1.0.x or 2.0.x' });
  }
  const actor = isObj(raw.actor) ? raw.actor : undefined;
  const studentId = isObj(actor?.account) ? str(actor.account.name) : undefined;
  if (actor?.objectType === 'Group') errors.push({ field: 'actor', code: 'unknown_value', message: 'a Group is not a student: send one statement per learner' });
  else if (!studentId) errors.push({ field: 'actor.account.name', code: 'required', message: 'actor.account.name is required: it is the student id (mbox and openid do not name our students)' });
  const verb = isObj(raw.verb) ? str(raw.verb.id) : undefined;
  if (!verb) errors.push({ field: 'verb.id', code: 'required', message: 'verb.id is required' });
  const object = isObj(raw.object) ? raw.object : undefined;
  const objectId = str(object?.id);
  if (object?.objectType !== undefined && object.objectType !== 'Activity') errors.push({ field: 'object.objectType', code: 'unknown_value', message: 'only statements about an Activity are mapped' });
  else if (!objectId) errors.push({ field: 'object.id', code: 'required', message: 'object.id (the activity IRI) is required' });
  const occurredAt = withZone(str(raw.timestamp) ?? str(raw.stored), raw.version);
  if (!occurredAt) errors.push({ field: 'timestamp', code: 'required', message: 'timestamp (or stored) is required: it becomes occurred_at' });
  const result = isObj(raw.result) ? raw.result : undefined;
  const score = scoreOf(result, errors);
  if (errors.length > 0 || !verb || !objectId) return reject(errors);

  const target = targetOf(objectId, curriculum);
  if (!target) {
    return reject([{ field: 'object.id', code: 'unknown_value', message: 'the activity names no topic: use an IRI ending in /topics/{topic_id}[/lessons/{lesson_id}], or add it to the curriculum\'s activities table' }]);
  }
  const base = { event_id: statementId, student_id: studentId, topic_id: target.topicId, occurred_at: occurredAt, tenant_id: tenantId };
  const event = (event_type: string, data: Obj): StatementMapping => ({ kind: 'event', statementId: statementId!, event: { ...base, event_type, data } });
  const definitionType = isObj(object?.definition) ? object.definition.type : undefined;

  if (verb === settings.codeQualityVerb) {
    const quality = isObj(result?.extensions) ? result.extensions[settings.codeQualityExtension] : undefined;
    if (quality === undefined) return reject([{ field: `result.extensions`, code: 'required', message: `a code review needs its quality in result.extensions["${settings.codeQualityExtension}"]` }]);
    return event('code.assessed', { submission_id: target.lessonId ?? target.topicId, quality_score: quality });
  }
  if (verb === VERBS.experienced) {
    const duration = str(result?.duration);
    if (!duration) return { kind: 'not_mapped', statementId: statementId!, message: 'experienced without result.duration: no practice time to count' };
    const minutes = durationMinutes(duration);
    if (minutes === undefined) return reject([{ field: 'result.duration', code: 'invalid_format', message: 'result.duration must be an ISO 8601 duration such as PT45M' }]);
    if (minutes > MAX_PRACTICE_MINUTES || minutes <= 0) return reject([{ field: 'result.duration', code: 'out_of_range', message: `result.duration must be more than 0 and at most ${MAX_PRACTICE_MINUTES} minutes` }]);
    return event('practice.session', { minutes });
  }
  const scoring = verb === VERBS.passed || verb === VERBS.failed || verb === VERBS.scored || verb === VERBS.completed;
  // An assessment: the activity says so, or it is a topic as a whole (a lesson's own score is a quiz only when typed one).
  const assessment = definitionType === ASSESSMENT_TYPE || target.lessonId === undefined;
  if (scoring && score !== undefined && assessment) return event('quiz.completed', { quiz_id: target.lessonId ?? target.topicId, score });
  if (verb === VERBS.completed && target.lessonId !== undefined) return event('lesson.completed', { lesson_id: target.lessonId });
  return { kind: 'not_mapped', statementId: statementId!, message: `verb ${verb} on this activity says nothing about mastery` };
}

/** Our event's field names in the statement's terms, so a reason names what the sender wrote. */
const STATEMENT_FIELD: Record<string, string> = {
  event_id: 'id',
  student_id: 'actor.account.name',
  topic_id: 'object.id',
  occurred_at: 'timestamp',
  'data.lesson_id': 'object.id',
  'data.quiz_id': 'object.id',
  'data.submission_id': 'object.id',
  'data.score': 'result.score',
  'data.minutes': 'result.duration',
};

export const statementErrors = <E extends { field: string }>(errors: readonly E[], settings: XapiSettings): E[] =>
  errors.map((e) => ({ ...e, field: e.field === 'data.quality_score' ? `result.extensions["${settings.codeQualityExtension}"]` : (STATEMENT_FIELD[e.field] ?? e.field) }));
