import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { EngineDeps } from '../../domain/engine';
import type { HealthProbe } from '../../ports/health.port';
import type { MasteryUpdate, MasteryUpdates } from '../../ports/mastery-updates.port';
import { ingestBatch, type BatchOutcome, type DeadReason } from './ingest-batch';
import type { KafkaMetrics } from './metrics';
import { sendChunked } from './send-chunked';

export interface IngestConsumerOptions {
  groupId: string;
  topics: { events: string; dlq: string };
  sessionTimeoutMs: number;
  partitionConcurrency: number;
  applyConcurrency: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface IngestConsumerDeps {
  kafka: Kafka;
  /** Sends dead letters; connected and disconnected by the caller. */
  producer: Producer;
  engine: EngineDeps;
  updates: MasteryUpdates;
  metrics: KafkaMetrics;
  log: Logger;
}

/** Headers added to a dead letter; the original key, value and headers are kept as they were. */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  detail: 'dlq-detail',
  topic: 'dlq-source-topic',
  partition: 'dlq-source-partition',
  offset: 'dlq-source-offset',
  attempts: 'dlq-attempts',
  at: 'dlq-failed-at',
} as const;

interface RetryState {
  offset: string;
  attempts: number;
}

/**
 * The Kafka driver of the ingest use case. Per partition batch: ingest (ingestBatch), then send
 * the dead letters and the mastery updates of the finished prefix, and only then resolve its
 * offsets, which kafkajs commits after the batch. A transient failure leaves the rest unresolved,
 * pauses the partition and resumes it after an exponential backoff; kafkajs then fetches again
 * from the last resolved offset, so nothing is skipped and what was applied comes back as
 * duplicates.
 */
export class KafkaIngestConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly retries = new Map<number, RetryState>();
  private readonly resumeTimers = new Set<Timer>();
  private joined = false;
  private crashed: string | undefined;

  constructor(
    private readonly deps: IngestConsumerDeps,
    private readonly opts: IngestConsumerOptions,
  ) {
    this.consumer = deps.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(opts.sessionTimeoutMs / 3)),
    });
    this.admin = deps.kafka.admin();
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      deps.log.error({ error: payload.error.message, restart: payload.restart }, 'kafka consumer crashed');
      if (!payload.restart) this.crashed = payload.error.message;
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.consumer.connect(), this.admin.connect()]);
    // A new group starts from the earliest offset: events produced before it existed still count.
    await this.consumer.subscribe({ topics: [this.opts.topics.events], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionConcurrency,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  /** Finishes the batch in hand, commits what it resolved and leaves the group. */
  async stop(): Promise<void> {
    for (const t of this.resumeTimers) clearTimeout(t);
    this.resumeTimers.clear();
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }

  /** Ready once in the group, not crashed for good, and the cluster answers. */
  probe(): HealthProbe {
    return {
      name: 'kafka',
      check: async () => {
        if (this.crashed) throw new Error(`consumer stopped: ${this.crashed}`);
        if (!this.joined) throw new Error('consumer has not joined its group yet');
        await this.admin.describeCluster();
      },
    };
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, pause }: EachBatchPayload): Promise<void> {
    const consumedAt = Date.now();
    const { topic, partition, messages } = batch;
    // Keeps the group membership alive through a long batch; kafkajs throttles the actual requests.
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    let result: BatchOutcome;
    try {
      result = await ingestBatch(this.deps.engine, messages, this.opts.applyConcurrency);
    } finally {
      clearInterval(beat);
    }
    this.count(result, consumedAt);
    this.deps.log.debug({ partition, first: messages[0]?.offset, size: messages.length, done: result.done }, 'batch ingested');

    let failure = result.failure;
    let next = messages[0]!.offset;
    const finished = messages.slice(0, result.done);
    if (finished.length > 0) {
      const updates: MasteryUpdate[] = [];
      const dead: { message: KafkaMessage; reason: DeadReason; detail: string; eventType: string }[] = [];
      finished.forEach((message, i) => {
        const o = result.outcomes[i]!;
        if (o.kind === 'applied' || o.kind === 'duplicate') updates.push(o.update);
        else if (o.kind === 'dead') dead.push({ message, reason: o.reason, detail: o.detail, eventType: o.eventType });
      });
      try {
        await Promise.all([this.deps.updates.publish(updates), this.sendDeadLetters(topic, partition, dead)]);
        const last = finished[finished.length - 1]!.offset;
        resolveOffset(last);
        next = String(Number(last) + 1);
        for (const d of dead) this.deps.metrics.deadLettered.inc({ event_type: d.eventType, reason: d.reason });
      } catch (err) {
        // Nothing of this batch is resolved: the redelivery re-sends the dead letters and
        // re-announces the applied events as duplicates. Dead letters may repeat, never go missing.
        this.deps.metrics.publishFailures.inc();
        failure = err instanceof Error ? err : new Error(String(err));
      }
    }
    this.deps.metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - Number(next)));

    if (failure) this.backOff(partition, next, failure, pause);
    else this.retries.delete(partition);
  }

  private backOff(partition: number, offset: string, failure: Error, pause: () => () => void): void {
    const previous = this.retries.get(partition);
    const attempts = previous?.offset === offset ? previous.attempts + 1 : 1;
    this.retries.set(partition, { offset, attempts });
    // Exponential with jitter, so replicas hit by the same outage do not retry in lockstep.
    const ceiling = Math.min(this.opts.retryMaxMs, this.opts.retryInitialMs * 2 ** (attempts - 1));
    const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.deps.metrics.retries.inc();
    this.deps.log.warn({ topic: this.opts.topics.events, partition, offset, attempts, delayMs, error: failure.message }, 'transient failure: partition paused, will retry');
    const resume = pause();
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      resume();
    }, delayMs);
    this.resumeTimers.add(timer);
  }

  private count(result: BatchOutcome, consumedAt: number): void {
    const m = this.deps.metrics;
    for (const t of result.eventTypes) m.consumed.inc({ event_type: t });
    for (const o of result.outcomes) {
      if (o?.kind === 'applied') {
        m.applied.inc({ event_type: o.eventType });
        m.occurredToApplied.observe(Math.max(0, o.appliedAt - o.occurredAt) / 1000);
        m.consumedToApplied.observe((o.appliedAt - consumedAt) / 1000);
      } else if (o?.kind === 'duplicate') m.duplicate.inc({ event_type: o.eventType });
      else if (o?.kind === 'discarded') m.discarded.inc({ event_type: o.eventType, reason: o.reason });
    }
  }

  private async sendDeadLetters(topic: string, partition: number, dead: readonly { message: KafkaMessage; reason: DeadReason; detail: string }[]): Promise<void> {
    if (dead.length === 0) return;
    const at = new Date().toISOString();
    const previous = this.retries.get(partition);
    await sendChunked(
      this.deps.producer,
      this.opts.topics.dlq,
      dead.map(({ message, reason, detail }) => {
        const headers: IHeaders = {
          ...message.headers,
          [DLQ_HEADERS.reason]: reason,
          [DLQ_HEADERS.detail]: detail,
          [DLQ_HEADERS.topic]: topic,
          [DLQ_HEADERS.partition]: String(partition),
          [DLQ_HEADERS.offset]: message.offset,
          // Deliveries this process saw: transient retries of the batch head count too.
          [DLQ_HEADERS.attempts]: String(previous?.offset === message.offset ? previous.attempts + 1 : 1),
          [DLQ_HEADERS.at]: at,
        };
        return { key: message.key, value: message.value, headers };
      }),
    );
  }
}
