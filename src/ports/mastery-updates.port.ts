import type { LearningEvent } from '../domain/mastery/event';
import type { Components, Level } from '../domain/mastery/mastery';
import type { StudentRef } from './mastery-store.port';

/** A topic's mastery right after an event changed it, as downstream services see it. */
export interface MasteryUpdate extends StudentRef {
  topicId: string;
  masteryScore: number;
  level: Level;
  components: Components;
  /** The event that led to this value, so consumers can correlate and deduplicate. */
  eventId: string;
  /** occurred_at of that event, epoch ms. */
  occurredAt: number;
}

/**
 * Where mastery changes are announced. Promises:
 * - `publish` resolves only once every update given is durably accepted; on rejection any subset
 *   may have gone out, so callers retry the whole list and readers must tolerate repeats (each
 *   update is a full value, never a delta, so a repeat is harmless).
 * - updates of one student keep the order of the list.
 * - `publishErasure` announces that a student was forgotten, so readers drop what they hold.
 */
export interface MasteryUpdates {
  publish(updates: readonly MasteryUpdate[]): Promise<void>;
  publishErasure(ref: StudentRef): Promise<void>;
}

/** The update announcing `mastery` of the event's topic after `event`. */
export function masteryUpdateOf(event: LearningEvent, mastery: { masteryScore: number; level: Level; components: Components }): MasteryUpdate {
  return {
    tenantId: event.tenantId,
    studentId: event.studentId,
    topicId: event.topicId,
    masteryScore: mastery.masteryScore,
    level: mastery.level,
    components: mastery.components,
    eventId: event.eventId,
    occurredAt: event.occurredAt,
  };
}
