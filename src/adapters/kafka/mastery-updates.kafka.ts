import type { Producer } from 'kafkajs';
import type { StudentRef } from '../../ports/mastery-store.port';
import type { MasteryUpdate, MasteryUpdates } from '../../ports/mastery-updates.port';
import { sendChunked } from './send-chunked';

/**
 * The `mastery.updated` key: student ids are unique only within a tenant, so the key names both;
 * ids never contain `/` (their alphabet is `[A-Za-z0-9._:-]`), so the key splits unambiguously.
 */
export const updateKey = (ref: StudentRef): string => `${ref.tenantId}/${ref.studentId}`;

/** Header of a tombstone naming its tenant, which a null value cannot carry. */
export const TOMBSTONE_TENANT_HEADER = 'tenant_id';

/** The `mastery.updated` value: snake_case like the inbound events, times in ISO 8601 UTC. */
export function updateMessage(u: MasteryUpdate) {
  return {
    key: updateKey(u),
    value: JSON.stringify({
      student_id: u.studentId,
      topic_id: u.topicId,
      tenant_id: u.tenantId,
      mastery_score: u.masteryScore,
      level: u.level,
      components: u.components,
      event_id: u.eventId,
      occurred_at: new Date(u.occurredAt).toISOString(),
    }),
  };
}

/**
 * MasteryUpdates on a Kafka topic, keyed by `tenant_id/student_id`: one student's updates share a
 * partition (ordered), and compaction keeps the latest per student without mixing up two tenants'
 * students of the same id. A list goes out in a few large sends, so a batch of events costs a
 * handful of produce requests, not one per event. acks=-1: a leader-only ack could lose an update
 * the offset commit already counts as announced.
 */
export class KafkaMasteryUpdates implements MasteryUpdates {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  async publish(updates: readonly MasteryUpdate[]): Promise<void> {
    await sendChunked(this.producer, this.topic, updates.map(updateMessage));
  }

  /** A null value is a tombstone: compaction then drops every earlier value under the key. */
  async publishErasure(ref: StudentRef): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key: updateKey(ref), value: null, headers: { [TOMBSTONE_TENANT_HEADER]: ref.tenantId } }] });
  }
}
