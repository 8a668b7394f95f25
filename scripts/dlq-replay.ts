// Lists the dead-letter topic, and replays chosen messages to the events topic (docs/runbooks.md).
//   scripts/bun.sh scripts/dlq-replay.ts                      list every dead letter (nothing sent)
//   scripts/bun.sh scripts/dlq-replay.ts --reason schema_violation --since 2026-01-14T00:00:00Z --apply
// Reads KAFKA_BROKERS, KAFKA_TOPIC_DLQ (mastery.dlq) and KAFKA_TOPIC_EVENTS (learning.events) from
// the environment. Replaying sends each message's original key, value and non-dlq headers to the
// events topic: the service validates it again, so a message whose cause was fixed (curriculum,
// service version) is applied, one still broken comes back to the DLQ, and one already applied is a
// duplicate (idempotent by event_id). A letter whose value was cut to fit the topic (header
// dlq-original-size) is listed as `cut` and never replayed: its value is not the event any more;
// the original can still be read at its dlq-source-* position while that topic retains it.
// Reads from the beginning to the current end with a throwaway consumer group, so it commits
// nothing and can be re-run.
import { Kafka, logLevel, type IHeaders } from 'kafkajs';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const apply = args.includes('--apply');
const reason = flag('--reason');
const since = flag('--since') ? Date.parse(flag('--since')!) : undefined;
if (since !== undefined && Number.isNaN(since)) throw new Error('--since must be an ISO time');
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter((b) => b.length > 0);
if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set');
const dlqTopic = process.env.KAFKA_TOPIC_DLQ || 'mastery.dlq';
const eventsTopic = process.env.KAFKA_TOPIC_EVENTS || 'learning.events';

const kafka = new Kafka({ clientId: 'mastery-engine-dlq-replay', brokers, logLevel: logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
// Where to stop: the end of each partition now.
const ends = new Map((await admin.fetchTopicOffsets(dlqTopic)).map((p) => [p.partition, BigInt(p.high)]));
await admin.disconnect();
const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));

const text = (h: IHeaders, k: string) => {
  const v = h[k];
  return v === undefined ? '' : String(Array.isArray(v) ? v[0] : v);
};
const selected: { key: Buffer | null; value: Buffer | null; headers: IHeaders }[] = [];
let seen = 0;

if (pending.size > 0) {
  const consumer = kafka.consumer({ groupId: `mastery-engine-dlq-replay-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [dlqTopic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (BigInt(message.offset) >= (ends.get(partition) ?? 0n)) return;
          seen += 1;
          const h = message.headers ?? {};
          const failedAt = Date.parse(text(h, 'dlq-failed-at'));
          const cut = h['dlq-original-size'] !== undefined;
          const match = !cut && (!reason || text(h, 'dlq-reason') === reason) && (since === undefined || failedAt >= since);
          const source = `from=${text(h, 'dlq-source-topic')}[${text(h, 'dlq-source-partition')}]@${text(h, 'dlq-source-offset')}`;
          console.log(
            `${cut ? 'cut   ' : match ? (apply ? 'REPLAY' : 'match ') : 'skip  '} p${partition}@${message.offset} key=${message.key?.toString() ?? ''} ` +
              `reason=${text(h, 'dlq-reason')} at=${text(h, 'dlq-failed-at')} detail=${text(h, 'dlq-detail').slice(0, 160)}` +
              (cut ? ` ${source} original-size=${text(h, 'dlq-original-size')} sha256=${text(h, 'dlq-original-sha256')}` : ''),
          );
          if (match) {
            const headers = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith('dlq-'))) as IHeaders;
            selected.push({ key: message.key, value: message.value, headers });
          }
          if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) {
            pending.delete(partition);
            if (pending.size === 0) resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
}

if (apply && selected.length > 0) {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: eventsTopic, messages: selected });
  await producer.disconnect();
}
console.log(`${seen} dead letters in ${dlqTopic}; ${selected.length} ${apply ? `replayed to ${eventsTopic}` : 'would be replayed (add --apply)'}`);
process.exit(0);
