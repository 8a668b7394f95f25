/**
 * The multi-replica check of docs/scaling.md (`bun bench/replicas.ts`, part of `bun run bench`):
 * 1 and then 3 service processes (the Kafka ingest, as tests/support/kafka-consumer-child.ts runs
 * it, configured by the environment like the service) in one consumer group on a 6-partition
 * topic, applying to the 3-master Redis Cluster. Measures the group's rate from the first event
 * produced to the last committed, once the group is stable, and each replica's share; writes the section
 * "Check: a multi-replica run" of docs/scaling.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { Cluster } from 'ioredis';
import type { Admin } from 'kafkajs';
import type { KafkaConfig } from '../src/config/config';
import { asMessage, connectedProducer, createTopics, deleteTopics, makeEvents, produce, readState, redisEngine, ROOT, studentsOf, testKafka, testKafkaConfig, totalEvents } from '../tests/support/kafka';
import { requireService, uniqueId } from '../tests/support/services';
import { localBrokerPid, processCpuSeconds, redisCpuSeconds } from './support';

const EVENTS = Number(process.env.BENCH_REPLICA_EVENTS ?? 40_000);
const STUDENTS = 4_000;
const PARTITIONS = 6;

interface RunResult {
  replicas: number;
  rate: number;
  applied: number[];
  /** Events the state holds afterwards: every event once, whatever the counters say. */
  inState: number;
  /** CPU µs per event, user + system, summed over the replicas while the events were consumed. */
  serviceCpuUs: number;
  /** CPU µs per event of the cluster's masters (INFO cpu of each) over the same time. */
  redisCpuUs: number;
  /** CPU µs per event of the local broker (`/proc` of its JVM) over the same time, producing the events included; undefined when no broker of `scripts/kafka.sh` is the one used. */
  brokerCpuUs: number | undefined;
}

/** CPU seconds of every master of the cluster, summed. */
async function clusterCpuSeconds(cluster: Cluster): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes('master')) total += await redisCpuSeconds(node);
  return total;
}

/** Committed offsets of the group summed over the topic's partitions. */
async function committed(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
}

/**
 * One run on topics of its own (`config`), which the caller deletes once every run is over: the
 * broker deletes a topic's files a minute after the request, and that work would otherwise land
 * in the next run's CPU figures.
 */
async function runWith(admin: Admin, cluster: Cluster, replicas: number, config: KafkaConfig): Promise<RunResult> {
  await createTopics(admin, config, PARTITIONS);
  const producer = await connectedProducer(testKafka());
  const children: { proc: Subprocess; output: () => string }[] = [];
  try {
    const events = makeEvents(uniqueId('t'), EVENTS, STUDENTS);
    const env = {
      ...process.env,
      APP_ENV: 'test',
      LOG_LEVEL: 'silent',
      STATE_BACKEND: 'redis',
      REDIS_MODE: 'cluster',
      REDIS_URL: requireService('REDIS_CLUSTER_URL'),
      KAFKA_BROKERS: config.brokers.join(','),
      KAFKA_GROUP_ID: config.groupId,
      KAFKA_TOPIC_EVENTS: config.topics.events,
      KAFKA_TOPIC_DLQ: config.topics.dlq,
      KAFKA_TOPIC_UPDATES: config.topics.updates,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
    };
    for (let i = 0; i < replicas; i++) {
      const proc = Bun.spawn([process.execPath, join(ROOT, 'tests/support/kafka-consumer-child.ts')], { env, stdout: 'pipe', stderr: 'inherit', stdin: 'ignore' });
      let text = '';
      void (async () => {
        for await (const chunk of proc.stdout) text += new TextDecoder().decode(chunk);
      })();
      children.push({ proc, output: () => text });
    }
    // The group settles first (every replica holding partitions), then the events arrive: the
    // rate runs from the first event produced to the last one committed, joining excluded.
    const deadline = Date.now() + 300_000;
    for (;;) {
      const { groups } = await admin.describeGroups([config.groupId]);
      const group = groups[0];
      if (group?.state === 'Stable' && group.members.length === replicas && children.every((c) => c.output().includes('ready'))) break;
      if (Date.now() > deadline) throw new Error(`${replicas} replica(s) did not form a stable group`);
      await Bun.sleep(100);
    }
    const replicaCpu = () => children.reduce((sum, c) => sum + processCpuSeconds(c.proc.pid), 0);
    const brokerPid = localBrokerPid();
    const brokerCpu = () => (brokerPid === undefined ? 0 : processCpuSeconds(brokerPid));
    const [cpuBefore, redisBefore, brokerBefore] = [replicaCpu(), await clusterCpuSeconds(cluster), brokerCpu()];
    const started = performance.now();
    await produce(producer, config.topics.events, events.map(asMessage));
    while ((await committed(admin, config.groupId, config.topics.events)) < EVENTS) {
      if (Date.now() > deadline) throw new Error(`${replicas} replica(s) did not get through the events in time`);
      await Bun.sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const serviceCpuUs = ((replicaCpu() - cpuBefore) / EVENTS) * 1e6;
    const redisCpuUs = (((await clusterCpuSeconds(cluster)) - redisBefore) / EVENTS) * 1e6;
    const brokerCpuUs = brokerPid === undefined ? undefined : ((brokerCpu() - brokerBefore) / EVENTS) * 1e6;
    const applied: number[] = [];
    for (const c of children) {
      c.proc.kill('SIGTERM');
      await c.proc.exited;
      await Bun.sleep(50);
      const totals = JSON.parse(c.output().trim().split('\n').pop()!) as Record<string, number>;
      applied.push(totals.mastery_kafka_events_applied_total ?? 0);
    }
    const reader = await redisEngine(env.REDIS_URL, { mode: 'cluster', commandTimeoutMs: 5000 });
    const inState = totalEvents(await readState(reader.engine.store, studentsOf(events)));
    await reader.close();
    return { replicas, rate: EVENTS / seconds, applied, inState, serviceCpuUs, redisCpuUs, brokerCpuUs };
  } finally {
    for (const c of children) c.proc.kill('SIGKILL');
    await producer.disconnect();
  }
}

/** Replaces the marked section of docs/scaling.md, keeping what others wrote around it. */
function writeScalingSection(section: string): void {
  const file = join(ROOT, 'docs/scaling.md');
  const begin = '<!-- check:multi-replica -->';
  const end = '<!-- /check:multi-replica -->';
  let doc: string;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc = '# Scaling\n';
  }
  const block = `${begin}\n${section}\n${end}`;
  doc = doc.includes(begin) ? doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
}

async function main() {
  const admin = testKafka().admin();
  await admin.connect();
  const seeds = requireService('REDIS_CLUSTER_URL').split(',').map((u) => {
    const url = new URL(u);
    return { host: url.hostname, port: Number(url.port) };
  });
  const cluster = new Cluster(seeds, { lazyConnect: true });
  await cluster.connect();
  const configs = [testKafkaConfig(), testKafkaConfig()] as const;
  try {
    const one = await runWith(admin, cluster, 1, configs[0]);
    console.log(`1 replica: ${Math.round(one.rate)} events/s`);
    const three = await runWith(admin, cluster, 3, configs[1]);
    console.log(`3 replicas: ${Math.round(three.rate)} events/s, applied per replica ${three.applied.join(', ')}`);
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const perReplica = three.rate / 3;
    const brokerCell = (r: RunResult) => (r.brokerCpuUs === undefined ? 'not measured (not a broker of `scripts/kafka.sh`)' : r.brokerCpuUs.toFixed(1));
    const section = [
      '## Check: a multi-replica run',
      '',
      `${EVENTS.toLocaleString('en-US')} events over ${STUDENTS.toLocaleString('en-US')} students on a ${PARTITIONS}-partition topic, consumed by one consumer group of service processes (the Kafka ingest as the service wires it, each a process of its own, \`REDIS_MODE=cluster\`) applying to the 3-master Redis Cluster of \`bun run services:up\`; first 1 process, then 3 on a fresh topic. The processes join first; once the group is stable the events are produced, and the rate runs from the first event produced to the last one committed.`,
      '',
      '| replicas | events/s (group) | events/s per replica | applied by each replica (counter) | events in the state afterwards | service µs CPU per event (all replicas) | Redis µs CPU per event (3 masters) | Kafka broker µs CPU per event |',
      '| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
      `| 1 | ${fmt(one.rate)} | ${fmt(one.rate)} | ${one.applied.map(fmt).join(', ')} | ${fmt(one.inState)} | ${one.serviceCpuUs.toFixed(1)} | ${one.redisCpuUs.toFixed(1)} | ${brokerCell(one)} |`,
      `| 3 | ${fmt(three.rate)} | ${fmt(perReplica)} | ${three.applied.map(fmt).join(', ')} | ${fmt(three.inState)} | ${three.serviceCpuUs.toFixed(1)} | ${three.redisCpuUs.toFixed(1)} | ${brokerCell(three)} |`,
      '',
      `**The model's per-replica figure.** The model sizes replicas from the service's CPU per event through Kafka (\`c_k\`), so the check is whether that cost holds when the work is split: with 3 replicas the processes together spent ${three.serviceCpuUs.toFixed(1)} µs of CPU per event, against ${one.serviceCpuUs.toFixed(1)} µs for one process (${((three.serviceCpuUs / one.serviceCpuUs) * 100).toFixed(0)}%). At that cost a replica with a core of its own carries ${fmt(1e6 / three.serviceCpuUs)} events/s at full CPU, ${fmt(0.5e6 / three.serviceCpuUs)} at the model's \`U\` = 0.5. The model takes the 3-replica figures as \`c_k\`, \`r_k\` (Redis's CPU per event summed over the three masters) and \`b_k\` (the broker's, storing the produced event included), the most expensive of the measured ones; when a rerun moves them, the cost table and the sizing above are to be redone with them.`,
      '',
      `Per replica, 3 processes reach ${((perReplica / one.rate) * 100).toFixed(0)}% of what one process alone does, and the group as a whole ${((three.rate / one.rate) * 100).toFixed(0)}%. The group's rate is the machine, not the replicas: its ${cpus().length} cores are shared by the replicas, the three Redis masters, the Kafka broker and (this run) other work, load average ${loadavg()[0]!.toFixed(1)} at the end. One process already keeps the cores busy, so two more only compete for them; the run checks that a group of replicas on the cluster splits the partitions (6 over 3: two each, each replica applied about a third) and that the state holds every event exactly once. The per-replica rate it can confirm is the single process's, measured with Redis and Kafka on the same cores: a floor for a replica with a core of its own. The counters may sum to a little less than the events: a commit whose call timed out under load but ran in Redis is retried and found a duplicate, so it counts as a duplicate, not as applied.`,
      '',
      `_Last run: ${new Date().toISOString()}, Bun ${Bun.version}, ${cpus().length} CPUs. Command: \`bun bench/replicas.ts\` (also in \`bun run bench\`)._`,
      '',
    ].join('\n');
    writeScalingSection(section);
    if (one.inState !== EVENTS || three.inState !== EVENTS) {
      console.error(`the state holds ${one.inState} and ${three.inState} events, not ${EVENTS}`);
      process.exitCode = 1;
    }
  } finally {
    for (const config of configs) await deleteTopics(admin, config);
    cluster.disconnect();
    await admin.disconnect();
  }
}

await main();
