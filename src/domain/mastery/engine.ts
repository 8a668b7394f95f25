import type { Clock } from '../../ports/clock.port';
import type { CurriculumSource } from '../../ports/curriculum-source.port';
import type { AnswerCache } from '../../ports/answer-cache.port';
import type { MasteryStore, StudentRef } from '../../ports/mastery-store.port';
import { unknownTopicsOf, type Curriculum, type UnknownTopics } from './curriculum';
import { parseLearningEvent, type FieldError, type LearningEvent } from './event';
import { levelOf, type Level, type Mastery } from './mastery';
import { applyEvent, dayOf, emptyTopicState, masteryOf, snapshotOf, type ModelPolicy, type TopicState } from './topic-state';

/** Everything the use cases need, handed in by the composition root. */
export interface EngineDeps {
  store: MasteryStore;
  clock: Clock;
  /** Each tenant's curriculum: the shipped file, or the one the tenant stored. */
  curricula: CurriculumSource;
  policy: ModelPolicy;
  /** Whether a student who never set their analytics consent counts as consenting (CONSENT_DEFAULT). */
  consentByDefault: boolean;
  eventWindow: EventWindow;
}

/** How far an event's occurred_at may stray from the processing time. */
export interface EventWindow {
  /** Clocks of producers run ahead by at most this much (MAX_EVENT_SKEW_S). */
  maxSkewMs: number;
  /** How long the store remembers an event id (IDEMPOTENCY_RETENTION_DAYS). */
  idempotencyRetentionMs: number;
}

/**
 * An event from the future would move a topic's decay reference and active-day window ahead of
 * every real event (and slip past an erasure check); an event older than the idempotency records
 * could be counted twice on a replay. Both are refused. The oldest accepted instant is
 * now - retention + skew: the first delivery happened no earlier than occurred_at - skew, so its
 * record is still kept when a replay is accepted.
 */
function timeErrors(event: LearningEvent, now: number, w: EventWindow): FieldError[] {
  if (event.occurredAt > now + w.maxSkewMs) {
    return [{ field: 'occurred_at', code: 'in_future', message: `occurred_at is more than ${w.maxSkewMs / 1000} s ahead of the server's clock` }];
  }
  if (event.occurredAt < now - w.idempotencyRetentionMs + w.maxSkewMs) {
    return [{ field: 'occurred_at', code: 'too_old', message: 'occurred_at is older than the window in which duplicates can be detected (IDEMPOTENCY_RETENTION_DAYS less MAX_EVENT_SKEW_S)' }];
  }
  return [];
}

export type IngestOutcome =
  | { kind: 'applied'; event: LearningEvent; mastery: Mastery }
  | { kind: 'duplicate'; event: LearningEvent }
  /** Valid, but not to be processed: the student was erased after it occurred, or has not consented. */
  | { kind: 'discarded'; event: LearningEvent; reason: 'erased' | 'no_consent' }
  | { kind: 'rejected'; eventId?: string; errors: FieldError[] };

/** Checks an event against the curriculum: the topic must exist and a lesson must belong to it. */
function curriculumErrors(event: LearningEvent, curriculum: Curriculum): FieldError[] {
  if (!curriculum.topics.has(event.topicId)) {
    return [{ field: 'topic_id', code: 'unknown_value', message: `topic ${event.topicId} is not in the curriculum` }];
  }
  if (event.data.type === 'lesson.completed' && !curriculum.hasLesson(event.topicId, event.data.lessonId)) {
    return [{ field: 'data.lesson_id', code: 'unknown_value', message: `lesson ${event.data.lessonId} is not part of topic ${event.topicId}` }];
  }
  return [];
}

const lessonsIn = (curriculum: Curriculum, topicId: string): number => curriculum.topics.get(topicId)?.lessons.length ?? 0;

/**
 * The one ingest path for every driver (HTTP, Kafka, Dapr): validate, check the curriculum, and
 * apply idempotently. Bad input is a `rejected` value; only a failing store throws.
 */
export async function ingestEvent(deps: EngineDeps, raw: unknown): Promise<IngestOutcome> {
  const parsed = parseLearningEvent(raw);
  if (!parsed.ok) {
    const id = typeof (raw as { event_id?: unknown } | null)?.event_id === 'string' ? (raw as { event_id: string }).event_id : undefined;
    return { kind: 'rejected', ...(id !== undefined ? { eventId: id } : {}), errors: parsed.errors };
  }
  const event = parsed.event;
  const now = deps.clock.now();
  const { curriculum } = await deps.curricula.forTenant(event.tenantId);
  const errors = [...timeErrors(event, now, deps.eventWindow), ...curriculumErrors(event, curriculum)];
  if (errors.length > 0) return { kind: 'rejected', eventId: event.eventId, errors };

  const lessons = lessonsIn(curriculum, event.topicId);
  const outcome = await deps.store.applyEvent(
    {
      tenantId: event.tenantId,
      studentId: event.studentId,
      topicId: event.topicId,
      eventId: event.eventId,
      now,
      occurredAt: event.occurredAt,
      consentByDefault: deps.consentByDefault,
    },
    (current) => {
      const state = applyEvent(current, event, deps.policy);
      return { state, snapshot: snapshotOf(event.topicId, state, lessons, deps.policy) };
    },
  );
  switch (outcome.kind) {
    case 'applied':
      return { kind: 'applied', event, mastery: masteryOf(outcome.state, lessons, now, deps.policy) };
    case 'duplicate':
      return { kind: 'duplicate', event };
    case 'erased':
    case 'no_consent':
      return { kind: 'discarded', event, reason: outcome.kind };
  }
}

export interface TopicMastery extends Mastery {
  topicId: string;
  eventCount: number;
  /** occurred_at of the latest event (epoch ms), or null for a topic without events. */
  updatedAt: number | null;
}

export interface StudentMastery {
  studentId: string;
  overall: { masteryScore: number; level: Level };
  topics: TopicMastery[];
}

export type MasteryQueryResult = { kind: 'ok'; mastery: StudentMastery } | UnknownTopics;

/** The rules a mastery is computed under: the tenant's curriculum and the model policy. */
export interface MasteryRules {
  curriculum: Curriculum;
  policy: ModelPolicy;
}

function topicMastery(deps: MasteryRules, topicId: string, state: TopicState | undefined, asOf: number): TopicMastery {
  const m = masteryOf(state ?? emptyTopicState(asOf), lessonsIn(deps.curriculum, topicId), asOf, deps.policy);
  return { topicId, ...m, eventCount: state?.eventCount ?? 0, updatedAt: state ? state.lastAt : null };
}

/**
 * A student's mastery now. Without `topicIds`: every topic the student has events in. With
 * them: exactly those topics, a topic without events scoring 0. The overall score is the plain
 * mean over the topics returned, so asking about a set of topics answers "how far along is the
 * student in these", and a student with no activity scores 0 (novice).
 */
export async function queryMastery(deps: EngineDeps, ref: StudentRef, topicIds?: readonly string[]): Promise<MasteryQueryResult> {
  const { curriculum } = await deps.curricula.forTenant(ref.tenantId);
  const unknown = unknownTopicsOf(curriculum, topicIds);
  if (unknown) return unknown;
  const states = await deps.store.listTopics(ref);
  return { kind: 'ok', mastery: studentMasteryOf({ curriculum, policy: deps.policy }, ref.studentId, states, topicIds, deps.clock.now()) };
}

/**
 * queryMastery's answer as `render` turns it into what the caller sends (the HTTP routes: the JSON
 * body and its ETag), kept in `answers` for the next ask. The answer depends on the student's topic states,
 * the tenant's curriculum (lessons per topic), the policy, the topics asked and, through the
 * consistency window, the day: the key holds the store's evidence token (it changes with every
 * event any replica applies, and on erasure), the day, the curriculum version and the topics in
 * the order asked; the policy is this process's own and `render` fixed per cache. The token is
 * read before the states, so an answer is never kept under a newer state than the one it was
 * computed from (at worst under an older one, which no later read's token matches).
 */
export async function queryMasteryAnswer<T>(
  deps: EngineDeps,
  answers: AnswerCache<T>,
  ref: StudentRef,
  topicIds: readonly string[] | undefined,
  render: (mastery: StudentMastery) => T,
): Promise<{ kind: 'ok'; answer: T } | UnknownTopics> {
  const { version, curriculum } = await deps.curricula.forTenant(ref.tenantId);
  const unknown = unknownTopicsOf(curriculum, topicIds);
  if (unknown) return unknown;
  const readAt = deps.clock.now();
  const key = `${await deps.store.evidenceToken(ref)}|${dayOf(readAt)}|c${version}|${topicIds ? topicIds.join(',') : '*'}`;
  const kept = answers.get(ref, key);
  if (kept !== undefined) return { kind: 'ok', answer: kept };
  const states = await deps.store.listTopics(ref);
  const answer = render(studentMasteryOf({ curriculum, policy: deps.policy }, ref.studentId, states, topicIds, readAt));
  answers.put(ref, key, answer, readAt);
  return { kind: 'ok', answer };
}

/**
 * queryMastery's answer from topic states already read (cohort analytics read many students at
 * once); `topicIds` must be in the curriculum.
 */
export function studentMasteryOf(
  deps: MasteryRules,
  studentId: string,
  states: ReadonlyMap<string, TopicState>,
  topicIds: readonly string[] | undefined,
  asOf: number,
): StudentMastery {
  const ids = topicIds ? [...new Set(topicIds)] : [...states.keys()].sort();
  const topics = ids.map((id) => topicMastery(deps, id, states.get(id), asOf));
  const mean = topics.length === 0 ? 0 : Math.round((topics.reduce((a, t) => a + t.masteryScore, 0) / topics.length) * 10_000) / 10_000;
  return { studentId, overall: { masteryScore: mean, level: levelOf(mean, deps.policy.thresholds) }, topics };
}
