import { createHash } from 'node:crypto';
import { ConfigResourceTypes, type Admin, type Consumer, type EachBatchPayload, type IHeaders, type Kafka, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { announce } from '../../domain/mastery/announce';
import type { EngineDeps } from '../../domain/mastery/engine';
import type { HealthProbe } from '../../ports/health.port';
import type { MasteryUpdate, MasteryUpdates } from '../../ports/mastery-updates.port';
import { ingestBatch, type BatchOutcome, type DeadReason } from './ingest-batch';
import type { KafkaMetrics } from './metrics';
import { MAX_SEND_BYTES, sendChunked, sizeOf } from './send-chunked';

export interface IngestConsumerOptions {
  groupId: string;
  topics: { events: string; dlq: string };
  sessionTimeoutMs: number;
  partitionConcurrency: number;
  applyConcurrency: number;
  fetchMaxBytesPerPartition: number;
  retryInitialMs: number;
  retryMaxMs: number;
  deadLetterMaxAttempts: number;
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

/**
 * Headers added to a dead letter; the original key, value and headers are kept as they were,
 * except a value too large for the topic (fitDeadLetter).
 */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  detail: 'dlq-detail',
  topic: 'dlq-source-topic',
  partition: 'dlq-source-partition',
  offset: 'dlq-source-offset',
  attempts: 'dlq-attempts',
  at: 'dlq-failed-at',
  /** Only on a letter whose value was cut to fit the topic: the original's length in bytes. */
  originalSize: 'dlq-original-size',
  /** Only on a cut letter: hex SHA-256 of the original value, to recognise it elsewhere. */
  originalSha256: 'dlq-original-sha256',
} as const;

/** Kafka's default max.message.bytes, assumed when the DLQ topic's own limit cannot be read. */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/**
 * Room left in the topic's limit for what sizeOf does not count: the record batch header (61
 * bytes) and the varints of each record and header. Generous, since a truncated value loses
 * nothing that matters by being a little shorter.
 */
const BATCH_OVERHEAD_BYTES = 4096;

interface RetryState {
  /** The first unresolved offset the failures happened at; a new offset starts the counts again. */
  offset: string;
  attempts: number;
  /** Of those attempts, the ones whose dead letters were refused. */
  deadLetterFailures: number;
}

/** A partition paused for good: its dead letters were refused deadLetterMaxAttempts times. */
interface Stall {
  offset: string;
  failures: number;
  error: string;
}

/**
 * The Kafka driver of the ingest use case. Per partition batch: ingest (ingestBatch), then send
 * the dead letters and the mastery updates of the finished prefix, and only then resolve its
 * offsets, which kafkajs commits after the batch. A transient failure leaves the rest unresolved,
 * pauses the partition and resumes it after an exponential backoff; kafkajs then fetches again
 * from the last resolved offset, so nothing is skipped and what was applied comes back as
 * duplicates. Dead letters the topic keeps refusing are the exception: after
 * `deadLetterMaxAttempts` the partition stays paused (metric, log, probe detail) rather than
 * replaying its batch forever; other partitions go on.
 */
export class KafkaIngestConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly retries = new Map<number, RetryState>();
  private readonly stalls = new Map<number, Stall>();
  /** The largest dead letter the DLQ topic takes, read at start (a restart reads it again). */
  private deadLetterMaxBytes = KAFKA_DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES;
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
      maxBytesPerPartition: opts.fetchMaxBytesPerPartition,
      // What is fetched at once stays what the partitions processed together may take.
      maxBytes: opts.fetchMaxBytesPerPartition * opts.partitionConcurrency,
    });
    this.admin = deps.kafka.admin();
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.forgetStallsNotIn(payload.memberAssignment[opts.topics.events] ?? []);
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      deps.log.error({ error: payload.error.message, restart: payload.restart }, 'kafka consumer crashed');
      if (!payload.restart) this.crashed = payload.error.message;
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.consumer.connect(), this.admin.connect()]);
    this.deadLetterMaxBytes = (await this.dlqMaxMessageBytes()) - BATCH_OVERHEAD_BYTES;
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

  /** Ready once in the group, not crashed for good, no partition paused for good, and the cluster answers. */
  probe(): HealthProbe {
    return {
      name: 'kafka',
      check: async () => {
        if (this.crashed) throw new Error(`consumer stopped: ${this.crashed}`);
        if (!this.joined) throw new Error('consumer has not joined its group yet');
        if (this.stalls.size > 0) {
          const each = [...this.stalls].map(([p, s]) => `${this.opts.topics.events} partition ${p} paused at offset ${s.offset} after ${s.failures} failed dead-letter publishes (${s.error})`);
          throw new Error(`${each.join('; ')}; fix the cause, then restart this instance`);
        }
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
    const appliedFrom = this.deps.engine.clock.now();
    try {
      result = await ingestBatch(this.deps.engine, messages, this.opts.applyConcurrency);
    } finally {
      clearInterval(beat);
    }
    this.count(result, consumedAt);
    this.deps.log.debug({ partition, first: messages[0]?.offset, size: messages.length, done: result.done }, 'batch ingested');

    let failure = result.failure;
    let deadLettersRefused = false;
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
      const [published, deadLettered] = await Promise.allSettled([announce({ store: this.deps.engine.store, updates: this.deps.updates }, updates, appliedFrom), this.sendDeadLetters(topic, partition, dead)]);
      // The dead letters' failure first: it is the one that counts towards pausing for good.
      const refused = [deadLettered, published].find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!refused) {
        const last = finished[finished.length - 1]!.offset;
        resolveOffset(last);
        next = String(Number(last) + 1);
        for (const d of dead) this.deps.metrics.deadLettered.inc({ event_type: d.eventType, reason: d.reason });
      } else {
        // Nothing of this batch is resolved: the redelivery re-sends the dead letters and
        // re-announces the applied events as duplicates. Dead letters may repeat, never go missing.
        this.deps.metrics.publishFailures.inc();
        deadLettersRefused = deadLettered.status === 'rejected';
        failure = refused.reason instanceof Error ? refused.reason : new Error(String(refused.reason));
      }
    }
    this.deps.metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, Number(batch.highWatermark) - Number(next)));

    if (failure) this.backOff(partition, next, failure, deadLettersRefused, pause);
    else {
      this.retries.delete(partition);
      // Moving again (a crashed consumer restarts with nothing paused): no longer stalled.
      if (this.stalls.delete(partition)) this.deps.metrics.partitionPaused.set({ topic, partition: String(partition) }, 0);
    }
  }

  private backOff(partition: number, offset: string, failure: Error, deadLettersRefused: boolean, pause: () => () => void): void {
    const previous = this.retries.get(partition);
    const same = previous?.offset === offset;
    const attempts = same ? previous.attempts + 1 : 1;
    const deadLetterFailures = (same ? previous.deadLetterFailures : 0) + (deadLettersRefused ? 1 : 0);
    this.retries.set(partition, { offset, attempts, deadLetterFailures });
    if (deadLetterFailures >= this.opts.deadLetterMaxAttempts) {
      // Retrying would replay the batch forever: stop here, keep the offset, and ask for a human.
      pause();
      this.stalls.set(partition, { offset, failures: deadLetterFailures, error: failure.message });
      this.deps.metrics.partitionPaused.set({ topic: this.opts.topics.events, partition: String(partition) }, 1);
      this.deps.log.error(
        { topic: this.opts.topics.events, partition, offset, attempts: deadLetterFailures, error: failure.message },
        'dead letters refused on every attempt: partition paused until this instance restarts or the partition moves',
      );
      return;
    }
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

  /** Counters once per batch and label set (each labelled inc hashes its labels); latencies per event. */
  private count(result: BatchOutcome, consumedAt: number): void {
    const m = this.deps.metrics;
    const consumed = new Map<string, number>();
    const applied = new Map<string, number>();
    const duplicate = new Map<string, number>();
    const add = (tally: Map<string, number>, key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
    for (const t of result.eventTypes) add(consumed, t);
    for (const o of result.outcomes) {
      if (o?.kind === 'applied') {
        add(applied, o.eventType);
        m.occurredToApplied.observe(Math.max(0, o.appliedAt - o.occurredAt) / 1000);
        m.consumedToApplied.observe((o.appliedAt - consumedAt) / 1000);
      } else if (o?.kind === 'duplicate') add(duplicate, o.eventType);
      else if (o?.kind === 'discarded') m.discarded.inc({ event_type: o.eventType, reason: o.reason });
    }
    for (const [event_type, n] of consumed) m.consumed.inc({ event_type }, n);
    for (const [event_type, n] of applied) m.applied.inc({ event_type }, n);
    for (const [event_type, n] of duplicate) m.duplicate.inc({ event_type }, n);
  }

  /**
   * A partition that moved to another member is that member's to retry: forget its stall, and
   * resume it, because kafkajs keeps a pause across rebalances and it may come back here.
   */
  private forgetStallsNotIn(assigned: readonly number[]): void {
    for (const partition of this.stalls.keys()) {
      if (assigned.includes(partition)) continue;
      this.stalls.delete(partition);
      this.retries.delete(partition);
      this.consumer.resume([{ topic: this.opts.topics.events, partitions: [partition] }]);
      this.deps.metrics.partitionPaused.set({ topic: this.opts.topics.events, partition: String(partition) }, 0);
    }
  }

  /** The DLQ topic's max.message.bytes (the broker's default unless the topic overrides it). */
  private async dlqMaxMessageBytes(): Promise<number> {
    const name = 'max.message.bytes';
    try {
      const { resources } = await this.admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: this.opts.topics.dlq, configNames: [name] }] });
      const value = Number(resources[0]?.configEntries.find((e) => e.configName === name)?.configValue);
      if (Number.isInteger(value) && value > 0) return value;
      throw new Error(`no ${name} in the answer`);
    } catch (err) {
      // Reading topic configs needs DescribeConfigs, which an ACL may deny; sending does not.
      this.deps.log.warn({ topic: this.opts.topics.dlq, error: (err as Error).message, assumed: KAFKA_DEFAULT_MAX_MESSAGE_BYTES }, `cannot read ${name} of the dead-letter topic: assuming the Kafka default`);
      return KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    }
  }

  private async sendDeadLetters(topic: string, partition: number, dead: readonly { message: KafkaMessage; reason: DeadReason; detail: string }[]): Promise<void> {
    if (dead.length === 0) return;
    const at = new Date().toISOString();
    const previous = this.retries.get(partition);
    const limit = this.deadLetterMaxBytes;
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
        return fitDeadLetter({ key: message.key, value: message.value, headers }, limit);
      }),
      Math.min(MAX_SEND_BYTES, limit),
    );
  }
}

/**
 * The letter as the DLQ topic takes it. One whose key, value and headers pass `limit` (a value
 * can be far larger than the topic's limit: the broker checks a compressed batch's compressed size)
 * keeps the start of its value, and headers give the original's size and SHA-256. If the key and
 * headers alone pass the limit, the send fails and the bounded retry pauses the partition.
 */
function fitDeadLetter(letter: Message & { value: Buffer | null }, limit: number): Message {
  const value = letter.value;
  if (value === null || sizeOf(letter) <= limit) return letter;
  const headers: IHeaders = {
    ...letter.headers,
    [DLQ_HEADERS.originalSize]: String(value.length),
    [DLQ_HEADERS.originalSha256]: createHash('sha256').update(value).digest('hex'),
  };
  const room = Math.max(0, limit - sizeOf({ key: letter.key, value: null, headers }));
  return { key: letter.key, value: value.subarray(0, room), headers };
}
