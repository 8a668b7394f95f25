/**
 * The learning event: the one input that changes a student's mastery, whether it arrives over
 * HTTP, Kafka or Dapr. Parsing is pure and total: any value in, a typed event or a list of
 * field errors out, so every driver rejects bad input the same way.
 */

export const EVENT_TYPES = ['lesson.completed', 'quiz.completed', 'code.assessed', 'practice.session'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event's type when it is one we know, else `fallback`: bounded, so safe as a metric label. */
export const eventTypeLabel = (v: unknown, fallback: string): string =>
  typeof v === 'string' && (EVENT_TYPES as readonly string[]).includes(v) ? v : fallback;

/** Ids end up inside storage keys and logs: a closed alphabet keeps injection out by construction. */
export const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const ID_PATTERN_SOURCE = '^[A-Za-z0-9._:-]{1,128}$';
export const DEFAULT_TENANT = 'default';

/** A day of practice longer than this is a client bug, not a learner. */
export const MAX_PRACTICE_MINUTES = 1440;

export type EventData =
  | { type: 'lesson.completed'; lessonId: string }
  | { type: 'quiz.completed'; quizId: string; score: number }
  | { type: 'code.assessed'; submissionId: string; qualityScore: number }
  | { type: 'practice.session'; minutes: number };

export interface LearningEvent {
  eventId: string;
  studentId: string;
  topicId: string;
  tenantId: string;
  /** Epoch milliseconds (UTC) at which the learner did the thing. */
  occurredAt: number;
  data: EventData;
}

export interface FieldError {
  field: string;
  code: 'required' | 'invalid_type' | 'invalid_format' | 'out_of_range' | 'unknown_value' | 'in_future' | 'too_old';
  message: string;
}

export type ParseResult = { ok: true; event: LearningEvent } | { ok: false; errors: FieldError[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ISO 8601 with a date, a time and an explicit offset: a bare local time would be ambiguous. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** UTC years 1970-9999: every stored day then prints as YYYY-MM-DD and is a non-negative day number. */
const MIN_INSTANT = Date.UTC(1970, 0, 1);
const MAX_INSTANT = Date.UTC(10_000, 0, 1) - 1;

class Collector {
  readonly errors: FieldError[] = [];
  add(field: string, code: FieldError['code'], message: string): undefined {
    this.errors.push({ field, code, message });
    return undefined;
  }
  id(o: Obj, key: string, prefix = ''): string | undefined {
    const field = prefix + key;
    const v = o[key];
    if (v === undefined || v === null) return this.add(field, 'required', `${field} is required`);
    if (typeof v !== 'string') return this.add(field, 'invalid_type', `${field} must be a string`);
    if (!ID_PATTERN.test(v)) {
      return this.add(field, 'invalid_format', `${field} must match ${ID_PATTERN_SOURCE}`);
    }
    return v;
  }
  number(o: Obj, key: string, min: number, max: number, prefix = ''): number | undefined {
    const field = prefix + key;
    const v = o[key];
    if (v === undefined || v === null) return this.add(field, 'required', `${field} is required`);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return this.add(field, 'invalid_type', `${field} must be a finite number`);
    }
    if (v < min || v > max) return this.add(field, 'out_of_range', `${field} must be between ${min} and ${max}`);
    return v;
  }
}

function parseData(type: EventType, raw: unknown, c: Collector): EventData | undefined {
  if (!isObj(raw)) return c.add('data', raw === undefined ? 'required' : 'invalid_type', 'data must be an object');
  const p = 'data.';
  switch (type) {
    case 'lesson.completed': {
      const lessonId = c.id(raw, 'lesson_id', p);
      return lessonId === undefined ? undefined : { type, lessonId };
    }
    case 'quiz.completed': {
      const quizId = c.id(raw, 'quiz_id', p);
      const score = parseQuizScore(raw, c);
      return quizId === undefined || score === undefined ? undefined : { type, quizId, score };
    }
    case 'code.assessed': {
      const submissionId = c.id(raw, 'submission_id', p);
      const qualityScore = c.number(raw, 'quality_score', 0, 1, p);
      return submissionId === undefined || qualityScore === undefined ? undefined : { type, submissionId, qualityScore };
    }
    case 'practice.session': {
      const minutes = c.number(raw, 'minutes', 0, MAX_PRACTICE_MINUTES, p);
      if (minutes === 0) return c.add('data.minutes', 'out_of_range', 'data.minutes must be greater than 0');
      return minutes === undefined ? undefined : { type, minutes };
    }
  }
}

/** A quiz result is either a score in [0, 1] or `correct` out of `total`, never both. */
function parseQuizScore(raw: Obj, c: Collector): number | undefined {
  const hasScore = raw.score !== undefined;
  const hasCounts = raw.correct !== undefined || raw.total !== undefined;
  if (hasScore && hasCounts) {
    return c.add('data.score', 'invalid_format', 'give either data.score or data.correct and data.total, not both');
  }
  if (!hasCounts) return c.number(raw, 'score', 0, 1, 'data.');
  const total = c.number(raw, 'total', 1, 1_000_000, 'data.');
  const correct = c.number(raw, 'correct', 0, total ?? 1_000_000, 'data.');
  if (total === undefined || correct === undefined) return undefined;
  if (!Number.isInteger(total) || !Number.isInteger(correct)) {
    return c.add('data.correct', 'invalid_type', 'data.correct and data.total must be whole numbers');
  }
  return correct / total;
}

/** Parses the wire envelope `{event_id, event_type, student_id, topic_id, occurred_at, tenant_id?, data}`. */
export function parseLearningEvent(raw: unknown): ParseResult {
  const c = new Collector();
  if (!isObj(raw)) {
    c.add('', 'invalid_type', 'an event must be a JSON object');
    return { ok: false, errors: c.errors };
  }
  const eventId = c.id(raw, 'event_id');
  const studentId = c.id(raw, 'student_id');
  const topicId = c.id(raw, 'topic_id');
  const tenantId = raw.tenant_id === undefined || raw.tenant_id === null ? DEFAULT_TENANT : c.id(raw, 'tenant_id');

  let occurredAt: number | undefined;
  if (raw.occurred_at === undefined || raw.occurred_at === null) c.add('occurred_at', 'required', 'occurred_at is required');
  else if (typeof raw.occurred_at !== 'string' || !ISO_INSTANT.test(raw.occurred_at) || Number.isNaN(Date.parse(raw.occurred_at))) {
    c.add('occurred_at', 'invalid_format', 'occurred_at must be an ISO 8601 date-time with an offset, e.g. 2026-01-14T10:00:00Z');
  } else if (Date.parse(raw.occurred_at) < MIN_INSTANT || Date.parse(raw.occurred_at) > MAX_INSTANT) {
    c.add('occurred_at', 'out_of_range', 'occurred_at must fall in the UTC years 1970 to 9999');
  } else occurredAt = Date.parse(raw.occurred_at);

  let data: EventData | undefined;
  const type = raw.event_type;
  if (type === undefined || type === null) c.add('event_type', 'required', 'event_type is required');
  else if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    c.add('event_type', 'unknown_value', `event_type must be one of ${EVENT_TYPES.join(', ')}`);
  } else data = parseData(type as EventType, raw.data, c);

  if (c.errors.length > 0 || !eventId || !studentId || !topicId || !tenantId || occurredAt === undefined || !data) {
    return { ok: false, errors: c.errors };
  }
  return { ok: true, event: { eventId, studentId, topicId, tenantId, occurredAt, data } };
}
