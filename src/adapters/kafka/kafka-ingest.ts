import { Kafka, logLevel, type KafkaConfig as KafkaClientConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KafkaConfig, KafkaSasl } from '../../config/config';
import type { EngineDeps } from '../../domain/mastery/engine';
import type { HealthProbe } from '../../ports/health.port';
import type { MasteryUpdates } from '../../ports/mastery-updates.port';
import { KafkaIngestConsumer } from './ingest.consumer';
import { KafkaMasteryUpdates } from './mastery-updates.kafka';
import { registerKafkaMetrics } from './metrics';
import { JavaCompatiblePartitioner } from './partitioner';

export interface KafkaIngest {
  readonly probe: HealthProbe;
  readonly updates: MasteryUpdates;
  /** Commits what was applied, leaves the group, closes the producer. */
  stop(): Promise<void>;
}

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through pino; its `stack` fields are dropped so no stack trace reaches the logs. */
const pinoLogCreator = (log: Logger) => () => (entry: LogEntry) => {
  const { message, stack: _stack, timestamp: _ts, logger: _logger, ...extra } = entry.log as LogEntry['log'] & { stack?: unknown };
  log[PINO_LEVEL[entry.level] ?? 'info']({ kafka: entry.namespace, ...extra }, message);
};

/**
 * TLS and SASL for the client, from the settings. kafkajs puts neither the password nor the
 * options in its log lines or errors, and pinoLogCreator drops anything else it attaches.
 */
export function kafkaSecurity(config: Pick<KafkaConfig, 'ssl' | 'sasl'>): Pick<KafkaClientConfig, 'ssl' | 'sasl'> {
  return { ssl: config.ssl, ...(config.sasl ? { sasl: saslOptions(config.sasl) } : {}) };
}

/** kafkajs types SASL per mechanism; one case each lets the compiler check all three. */
function saslOptions({ mechanism, username, password }: KafkaSasl): SASLOptions {
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password };
    case 'scram-sha-256':
      return { mechanism, username, password };
    case 'scram-sha-512':
      return { mechanism, username, password };
  }
}

/**
 * A kafkajs client from the settings, logging through `log`: the one way this service builds a
 * client (ingest, and the batch queue under its own client id), so security, logging and retries agree.
 */
export function createKafkaClient(config: KafkaConfig, log: Logger, clientId = config.clientId): Kafka {
  return new Kafka({
    ...kafkaSecurity(config),
    clientId,
    brokers: [...config.brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(log),
    retry: { initialRetryTime: 300, retries: 8 },
  });
}

export interface KafkaIngestDeps {
  config: KafkaConfig;
  engine: EngineDeps;
  log: Logger;
  registry: Registry;
}

/**
 * Builds the Kafka side of the service from its settings: one client, one producer shared by
 * the dead letters and the mastery updates, and the ingest consumer. Used by main.ts and by the
 * fault tests' child process, so both run the same wiring.
 */
export async function startKafkaIngest({ config, engine, log, registry }: KafkaIngestDeps): Promise<KafkaIngest> {
  const kafkaLog = log.child({ component: 'kafka' });
  const kafka = createKafkaClient(config, kafkaLog);
  // The Java client's partitioner (murmur2), so other clients keyed by student_id agree on partitions.
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: JavaCompatiblePartitioner });
  await producer.connect();
  const updates = new KafkaMasteryUpdates(producer, config.topics.updates);
  const consumer = new KafkaIngestConsumer(
    { kafka, producer, engine, updates, metrics: registerKafkaMetrics(registry), log: kafkaLog },
    {
      groupId: config.groupId,
      topics: { events: config.topics.events, dlq: config.topics.dlq },
      sessionTimeoutMs: config.sessionTimeoutMs,
      partitionConcurrency: config.partitionConcurrency,
      applyConcurrency: config.applyConcurrency,
      fetchMaxBytesPerPartition: config.fetchMaxBytesPerPartition,
      retryInitialMs: config.retryInitialMs,
      retryMaxMs: config.retryMaxMs,
      deadLetterMaxAttempts: config.deadLetterMaxAttempts,
    },
  );
  try {
    await consumer.start();
  } catch (err) {
    await producer.disconnect();
    throw err;
  }
  kafkaLog.info({ group: config.groupId, topic: config.topics.events }, 'kafka ingest consumer started');
  return {
    probe: consumer.probe(),
    updates,
    stop: async () => {
      await consumer.stop();
      await producer.disconnect();
    },
  };
}
