// Creates the topics of load runs (scripts/load.sh) on KAFKA_BROKERS when missing. Load runs use
// their own topics and consumer group so the measured service neither replays nor takes over
// the events of tests that share the development broker. Same partitioning as the real topics.
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter((b) => b.length > 0);
if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set');
const admin = new Kafka({ clientId: 'mastery-engine-load-setup', brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
try {
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: 'load.learning.events', numPartitions: 6 },
    { topic: 'load.mastery.dlq', numPartitions: 3 },
    { topic: 'load.mastery.updated', numPartitions: 6, configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }] },
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length > 0) await admin.createTopics({ topics: wanted.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: true });
  console.error(`[load-kafka-topics] ${wanted.length === 0 ? 'topics present' : `created ${wanted.map((t) => t.topic).join(', ')}`}`);
} finally {
  await admin.disconnect();
}
