import { type Admin, type Kafka, type Consumer, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { BatchConfig, KafkaConfig } from '../../config/config';
import { PRIORITIES, prioritySchedule, type BatchPriority, type Chunk } from '../../domain/batch/batch';
import type { BatchQueue } from '../../ports/batch-queue.port';
import { StoreUnavailableError } from '../../ports/mastery-store.port';
import type { Clock } from '../../ports/clock.port';
import { createKafkaClient } from './kafka-ingest';
import { JavaCompatiblePartitioner } from './partitioner';

/** The three batch topics, `${prefix}.high|normal|low` (KAFKA_TOPIC_BATCH_PREFIX). */
export const batchTopics = (prefix: string): Record<BatchPriority, string> => ({ high: `${prefix}.high`, normal: `${prefix}.normal`, low: `${prefix}.low` });

/**
 * The producer side: each chunk is one message on its priority's topic, keyed by its first student
 * (so chunks spread over the partitions as students do). Resolves once the broker has them all.
 */
export class KafkaBatchQueue implements BatchQueue {
  constructor(
    private readonly producer: Producer,
    private readonly topics: Record<BatchPriority, string>,
  ) {}

  async enqueue(chunks: readonly Chunk[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const c of chunks) {
      const topic = this.topics[c.priority];
      const list = byTopic.get(topic) ?? [];
      list.push({ key: c.studentIds[0] ?? c.batchId, value: JSON.stringify(c) });
      byTopic.set(topic, list);
    }
    try {
      await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (err) {
      // Transient for the caller (the HTTP API answers 503), like a store outage.
      throw new StoreUnavailableError(`kafka: ${(err as Error).message}`, { cause: err });
    }
  }
}

export interface BatchConsumerOptions {
  groupId: string;
  topics: Record<BatchPriority, string>;
  sessionTimeoutMs: number;
  /** Partitions (so chunks) processed at once by this replica. */
  concurrency: number;
  /** How often the group's lag per topic is read to apply the priority rule. */
  pollMs: number;
  /** BATCH_MAX_WAIT_MS: the starvation bound. */
  maxWaitMs: number;
  retryMs: number;
}

const isChunk = (v: unknown): v is Chunk => {
  const c = v as Partial<Chunk> | null;
  return typeof c === 'object' && c !== null && typeof c.batchId === 'string' && typeof c.tenantId === 'string' && typeof c.chunkId === 'number' && Array.isArray(c.studentIds) && PRIORITIES.includes(c.priority as BatchPriority);
};

/**
 * The worker side: every replica joins one consumer group over the three topics. Every `pollMs`
 * it reads the group's lag per topic (end offsets less committed ones, the same for every replica)
 * and applies prioritySchedule: a topic is paused while a higher one has lag, unless it has been
 * held back for `maxWaitMs`. Within a fetched batch, a message of a topic paused meanwhile is left
 * uncommitted, to be fetched again after the resume. A chunk's offset is committed only after it
 * was processed and counted, so a replica that dies mid-chunk leaves it to be redelivered to
 * another one after the rebalance (the count is idempotent, so nothing is counted twice). A chunk
 * that fails on infrastructure (Redis down) is retried in place until it succeeds or the
 * partition is taken away, so the batch pauses and resumes with the store.
 */
export class KafkaBatchConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private heldSince: Partial<Record<BatchPriority, number>> = {};
  private readonly paused = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling = false;
  /** kafkajs takes pause and resume only once run() was called; before, `paused` alone holds the rule. */
  private running = false;
  /** Counts resumes, so a batch in hand can tell that another topic was let in meanwhile. */
  private resumed = 0;

  constructor(
    private readonly deps: { kafka: Kafka; clock: Clock; log: Logger; handle: (chunk: Chunk) => Promise<void>; onLag?: (lag: Record<BatchPriority, number>) => void },
    private readonly opts: BatchConsumerOptions,
  ) {
    this.consumer = deps.kafka.consumer({ groupId: opts.groupId, sessionTimeout: opts.sessionTimeoutMs, heartbeatInterval: Math.min(3000, Math.floor(opts.sessionTimeoutMs / 3)), maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    this.admin = deps.kafka.admin();
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: PRIORITIES.map((p) => this.opts.topics[p]), fromBeginning: true });
    // The rule applies from the first fetch: lower topics with a higher one's lag start paused.
    await this.poll();
    await this.consumer.run({
      partitionsConsumedConcurrently: this.opts.concurrency,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }) => {
        const epoch = this.resumed;
        for (const message of batch.messages) {
          // A topic resumed since this batch began is fetched only once the batches in hand return:
          // returning early (the rest is fetched again) lets it in now.
          if (!isRunning() || isStale() || this.paused.has(batch.topic) || this.resumed !== epoch) break;
          let chunk: unknown;
          try {
            chunk = JSON.parse(message.value?.toString() ?? 'null');
          } catch {
            chunk = undefined;
          }
          // Only this service writes these topics; a message it cannot read is skipped, loudly.
          if (!isChunk(chunk)) this.deps.log.error({ topic: batch.topic, partition: batch.partition, offset: message.offset }, 'unreadable batch chunk skipped');
          else {
            if (!(await this.processUntilDone(chunk, heartbeat, () => isRunning() && !isStale()))) break;
            // A chunk of this priority is done: if it was served past the starvation bound, its clock restarts.
            delete this.heldSince[chunk.priority];
          }
          resolveOffset(message.offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      },
    });
    this.running = true;
    if (this.paused.size > 0) this.consumer.pause([...this.paused].map((topic) => ({ topic })));
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs);
  }

  /** True once processed; false when the partition went away first (another replica takes over). */
  private async processUntilDone(chunk: Chunk, heartbeat: () => Promise<void>, owned: () => boolean): Promise<boolean> {
    for (;;) {
      try {
        await this.deps.handle(chunk);
        return true;
      } catch (err) {
        this.deps.log.warn({ batch_id: chunk.batchId, chunk: chunk.chunkId, error: (err as Error).message }, 'batch chunk failed; retrying');
        await Bun.sleep(this.opts.retryMs);
        if (!owned()) return false;
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /** Reads the lag per topic and pauses or resumes topics by the priority rule. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const lag = await this.lag();
      this.deps.onLag?.(lag);
      const waiting = { high: lag.high > 0, normal: lag.normal > 0, low: lag.low > 0 };
      const schedule = prioritySchedule(waiting, this.heldSince, this.deps.clock.now(), this.opts.maxWaitMs);
      this.heldSince = schedule.heldSince;
      for (const p of PRIORITIES) {
        const topic = this.opts.topics[p];
        if (schedule.serve.includes(p) && this.paused.has(topic)) {
          this.paused.delete(topic);
          this.resumed++;
          if (this.running) this.consumer.resume([{ topic }]);
        } else if (!schedule.serve.includes(p) && !this.paused.has(topic)) {
          // Messages of a paused topic already fetched are left unprocessed (eachBatch checks this set).
          this.paused.add(topic);
          if (this.running) this.consumer.pause([{ topic }]);
        }
      }
    } catch (err) {
      // Without the lag, the topics stay as they were: the rule resumes at the next poll.
      this.deps.log.warn({ error: (err as Error).message }, 'batch lag unavailable');
    } finally {
      this.polling = false;
    }
  }

  private async lag(): Promise<Record<BatchPriority, number>> {
    const topics = PRIORITIES.map((p) => this.opts.topics[p]);
    const [committed, ends] = await Promise.all([this.admin.fetchOffsets({ groupId: this.opts.groupId, topics }), Promise.all(topics.map((t) => this.admin.fetchTopicOffsets(t)))]);
    const lag = { high: 0, normal: 0, low: 0 };
    PRIORITIES.forEach((p, i) => {
      const done = new Map((committed.find((c) => c.topic === topics[i])?.partitions ?? []).map((x) => [x.partition, Number(x.offset)]));
      for (const e of ends[i]!) {
        const from = Math.max(done.get(e.partition) ?? -1, Number(e.low));
        lag[p] += Math.max(0, Number(e.high) - from);
      }
    });
    return lag;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }
}

/** How long a replica waits before trying again to join the batch group (topics missing, broker away). */
const JOIN_RETRY_MS = 5000;

/**
 * Batch distribution over Kafka: its own client, a producer for submissions and the consumer every
 * replica runs. The consumer joins in the background and keeps trying (the topics may not exist
 * yet: `kafka:topics` creates them), so a replica serves HTTP whatever the batch group does.
 */
export async function startKafkaBatch(d: {
  config: KafkaConfig;
  batch: BatchConfig;
  clock: Clock;
  log: Logger;
  handle: (chunk: Chunk) => Promise<void>;
  onLag: (lag: Record<BatchPriority, number>) => void;
  retryMs: number;
}): Promise<{ queue: BatchQueue; stop: () => Promise<void> }> {
  const log = d.log.child({ component: 'kafka-batch' });
  const kafka = createKafkaClient(d.config, log, `${d.config.clientId}-batch`);
  const topics = batchTopics(d.config.batchTopicPrefix);
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: JavaCompatiblePartitioner });
  await producer.connect();
  const groupId = `${d.config.groupId}.batch`;
  let consumer: KafkaBatchConsumer | undefined;
  let stopped = false;
  // Ends the pause between attempts at once when the process stops.
  let wake = (): void => {};
  const join = async (): Promise<void> => {
    while (!stopped) {
      const c = new KafkaBatchConsumer(
        { kafka, clock: d.clock, log, handle: d.handle, onLag: d.onLag },
        { groupId, topics, sessionTimeoutMs: d.config.sessionTimeoutMs, concurrency: d.batch.concurrency, pollMs: d.batch.priorityPollMs, maxWaitMs: d.batch.maxWaitMs, retryMs: d.retryMs },
      );
      try {
        await c.start();
        consumer = c;
        log.info({ group: groupId, topics: Object.values(topics) }, 'kafka batch consumer started');
        return;
      } catch (err) {
        log.error({ error: (err as Error).message, topics: Object.values(topics) }, 'kafka batch consumer could not start; retrying');
        await c.stop().catch(() => undefined);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, JOIN_RETRY_MS);
        });
      }
    }
  };
  const joined = join();
  return {
    queue: new KafkaBatchQueue(producer, topics),
    stop: async () => {
      stopped = true;
      wake();
      await joined;
      await consumer?.stop();
      await producer.disconnect();
    },
  };
}
