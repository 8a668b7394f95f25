import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The Kafka ingest's metrics, registered on the registry the composition root owns. Labels are
 * bounded: `event_type` is one of the known types or `unknown`, `reason` a DeadReason.
 */
export function registerKafkaMetrics(registry: Registry) {
  const registers = [registry];
  return {
    consumed: new Counter({ name: 'mastery_kafka_events_consumed_total', help: 'Messages delivered by Kafka, redeliveries included', labelNames: ['event_type'], registers }),
    applied: new Counter({ name: 'mastery_kafka_events_applied_total', help: 'Events that changed state', labelNames: ['event_type'], registers }),
    duplicate: new Counter({ name: 'mastery_kafka_events_duplicate_total', help: 'Redelivered events recognised and not applied again', labelNames: ['event_type'], registers }),
    discarded: new Counter({ name: 'mastery_kafka_events_discarded_total', help: 'Valid events skipped: student erased after the event, or no consent', labelNames: ['event_type', 'reason'], registers }),
    deadLettered: new Counter({ name: 'mastery_kafka_events_dead_lettered_total', help: 'Messages sent to the dead-letter topic', labelNames: ['event_type', 'reason'], registers }),
    retries: new Counter({ name: 'mastery_kafka_transient_failures_total', help: 'Batches stopped by a transient failure and retried after a pause', registers }),
    publishFailures: new Counter({ name: 'mastery_kafka_publish_failures_total', help: 'Failed sends of updates or dead letters (the batch is retried)', registers }),
    // Occurred time comes from the client, so late or backfilled events land in the top buckets.
    occurredToApplied: new Histogram({
      name: 'mastery_kafka_occurred_to_applied_seconds',
      help: 'From occurred_at to the state write',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    }),
    consumedToApplied: new Histogram({
      name: 'mastery_kafka_consumed_to_applied_seconds',
      help: 'From the batch reaching the consumer to the state write',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    // Alert on any 1: the partition takes no more events until someone fixes the cause and restarts.
    partitionPaused: new Gauge({
      name: 'mastery_kafka_partition_paused',
      help: '1 while a partition is paused for good because its dead letters were refused KAFKA_DLQ_MAX_ATTEMPTS times in a row',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    lag: new Gauge({ name: 'mastery_kafka_consumer_lag', help: 'High watermark minus the next offset to process, per partition, as of the last batch', labelNames: ['topic', 'partition'], registers }),
  };
}

export type KafkaMetrics = ReturnType<typeof registerKafkaMetrics>;
