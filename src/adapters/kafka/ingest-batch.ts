import { ingestEvent, queryMastery, type EngineDeps } from '../../domain/mastery/engine';
import { DEFAULT_TENANT, eventTypeLabel, type FieldError } from '../../domain/mastery/event';
import { masteryUpdateOf, type MasteryUpdate } from '../../ports/mastery-updates.port';
import { inOrderPerKey } from '../ingest/per-key-order';
import { decodeEventMessage } from './envelope';

/**
 * The client-independent half of the Kafka driver: one partition's batch in, one outcome per
 * message out. It knows nothing of kafkajs, so switching clients only touches the consumer.
 */

export interface InboundMessage {
  value: Buffer | null;
}

/** Why a message can never be applied; the value of the `dlq-reason` header. */
export type DeadReason = 'invalid_json' | 'invalid_envelope' | 'unknown_event_type' | 'schema_violation';

/** `eventType` is one of EVENT_TYPES or `unknown`, so it is safe as a metric label. */
export type MessageOutcome =
  | { kind: 'applied'; eventType: string; update: MasteryUpdate; occurredAt: number; appliedAt: number }
  /** A redelivery: the state already has it. `update` is the topic's current mastery, re-announced. */
  | { kind: 'duplicate'; eventType: string; update: MasteryUpdate }
  | { kind: 'dead'; eventType: string; reason: DeadReason; detail: string }
  /** Valid but not processed (the student was erased after it occurred, or has not consented): counted, committed, not announced. */
  | { kind: 'discarded'; eventType: string; reason: 'erased' | 'no_consent' }
  /** Transient (store down, breaker open, timeout): retry later, never dead-letter. */
  | { kind: 'failed'; eventType: string; error: Error };

export interface BatchOutcome {
  /** In offset order; undefined for a message not attempted because an earlier one of its student failed. */
  outcomes: (MessageOutcome | undefined)[];
  /** Event type label of every message, attempted or not. */
  eventTypes: string[];
  /** Messages [0, done) are finished (applied, duplicate, dead or discarded): the commit may move past them. */
  done: number;
  /** The transient failure that stopped the batch at `done`, if any. */
  failure?: Error;
}

const MAX_DETAIL = 1000;

function deadReason(errors: readonly FieldError[]): DeadReason {
  return errors.some((e) => e.field === 'event_type') ? 'unknown_event_type' : 'schema_violation';
}

const describeErrors = (errors: readonly FieldError[]): string => errors.map((e) => `${e.field || '(event)'}: ${e.message}`).join('; ').slice(0, MAX_DETAIL);

async function ingestOne(engine: EngineDeps, envelope: Record<string, unknown>, eventType: string): Promise<MessageOutcome> {
  try {
    const outcome = await ingestEvent(engine, envelope);
    switch (outcome.kind) {
      case 'applied':
        return { kind: 'applied', eventType, update: masteryUpdateOf(outcome.event, outcome.mastery), occurredAt: outcome.event.occurredAt, appliedAt: Date.now() };
      case 'rejected':
        return { kind: 'dead', eventType, reason: deadReason(outcome.errors), detail: describeErrors(outcome.errors) };
      case 'discarded':
        return { kind: 'discarded', eventType, reason: outcome.reason };
      case 'duplicate': {
        // The first delivery may have been applied without its update going out (the publish
        // failed, or the process died in between), so a redelivery re-announces the current value.
        const e = outcome.event;
        const current = await queryMastery(engine, { tenantId: e.tenantId, studentId: e.studentId }, [e.topicId]);
        const topic = current.kind === 'ok' ? current.mastery.topics[0] : undefined;
        if (!topic) throw new Error(`no mastery for topic ${e.topicId} after a duplicate`);
        return { kind: 'duplicate', eventType, update: masteryUpdateOf(e, topic) };
      }
    }
  } catch (err) {
    // Anything thrown is infrastructure (the core returns bad input as a value): retry it.
    return { kind: 'failed', eventType, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/**
 * Ingests one partition's messages. Messages of one student run in offset order, one at a time;
 * different students run concurrently, up to `concurrency`. After a transient failure that
 * student's later messages are not attempted, so a retry replays them in order; other students
 * go on, and what they applied past the failure comes back as duplicates on the retry.
 */
export async function ingestBatch(engine: EngineDeps, messages: readonly InboundMessage[], concurrency: number): Promise<BatchOutcome> {
  const outcomes: (MessageOutcome | undefined)[] = new Array(messages.length).fill(undefined);
  const eventTypes: string[] = [];
  const work: (() => Promise<MessageOutcome>)[] = [];
  const students: string[] = [];

  messages.forEach((m, i) => {
    const decoded = decodeEventMessage(m.value);
    if (!decoded.ok) {
      eventTypes.push('unknown');
      students.push(`#${i}`);
      outcomes[i] = { kind: 'dead', eventType: 'unknown', reason: decoded.reason, detail: decoded.message };
      return;
    }
    const env = decoded.envelope;
    const eventType = eventTypeLabel(env.event_type, 'unknown');
    eventTypes.push(eventType);
    // Group by the student the event names (not the Kafka key), since that is what orders state.
    students.push(typeof env.student_id === 'string' ? `${typeof env.tenant_id === 'string' ? env.tenant_id : DEFAULT_TENANT}\u0000${env.student_id}` : `#${i}`);
    work[i] = () => ingestOne(engine, env, eventType);
  });

  await inOrderPerKey(students, concurrency, async (i) => {
    const run = work[i];
    if (!run) return true; // undecodable: already dead
    const outcome = await run();
    outcomes[i] = outcome;
    return outcome.kind !== 'failed';
  });

  let done = 0;
  while (done < outcomes.length && outcomes[done] !== undefined && outcomes[done]!.kind !== 'failed') done++;
  // A message left unattempted always follows its student's failure, so the stop is a failure.
  const head = outcomes[done];
  return { outcomes, eventTypes, done, ...(head?.kind === 'failed' ? { failure: head.error } : {}) };
}
