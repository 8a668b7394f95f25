/**
 * The Kafka ingest as a process of its own, for the fault tests that SIGKILL it. Configured by
 * the environment through parseConfig like the service, wired by the same startKafkaIngest, on
 * the Redis store behind the breaker. Prints `ready` once started; on SIGTERM it shuts down
 * gracefully and prints its counters as one JSON line.
 */
import { Registry } from 'prom-client';
import { startKafkaIngest } from '../../src/adapters/kafka/kafka-ingest';
import { parseConfig } from '../../src/config/config';
import { redisEngine, testLog } from './kafka';

const parsed = parseConfig(process.env);
if (!parsed.ok) throw new Error(parsed.errors.join('; '));
const { config } = parsed;
const backend = await redisEngine(config.state.redisUrl, { mode: config.state.redisMode });
const registry = new Registry();
const ingest = await startKafkaIngest({ config: config.kafka, engine: backend.engine, log: testLog, registry });
console.log('ready');

process.once('SIGTERM', async () => {
  await ingest.stop();
  await backend.close();
  const totals: Record<string, number> = {};
  for (const m of await registry.getMetricsAsJSON()) {
    totals[m.name] = (m.values as { value: number }[]).reduce((n, v) => n + v.value, 0);
  }
  console.log(JSON.stringify(totals));
  process.exit(0);
});
