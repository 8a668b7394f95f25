import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Subprocess } from 'bun';
import type { Admin, Kafka } from 'kafkajs';
import { batchTopics } from '../../src/adapters/kafka/batch.kafka';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { batchServiceEnv, createTopicsAndWait, seedStudents } from '../support/batch';
import { token } from '../support/http';
import { deleteTopics, testKafka, testKafkaConfig, waitFor } from '../support/kafka';
import { startService, type RunningService } from '../support/service-process';
import { freePort } from '../support/services';

/**
 * Batch recalculation under faults, on the real broker and real service processes sharing a Redis
 * of this file's own (it is frozen below; the shared one must never be).
 */

const TOPICS = ['python-basics', 'control-flow', 'functions', 'data-structures'];
const TENANT = 'tenant-batch';
const config = testKafkaConfig();
const prefix = config.batchTopicPrefix;

let kafka: Kafka;
let admin: Admin;
let redisServer: Subprocess;
let redisUrl: string;
const services: RunningService[] = [];
let auth: string;

const serviceEnv = () => ({
  ...batchServiceEnv(redisUrl, config),
  // The broker's minimum: a killed replica's partitions move within about 6 s.
  KAFKA_SESSION_TIMEOUT_MS: '6000',
  // Small chunks: many of them, so faults land mid-batch.
  BATCH_CHUNK_SIZE: '25',
  BATCH_PRIORITY_POLL_MS: '100',
  // One chunk at a time per replica: a high chunk must then wait for a free slot, which only the
  // priority rule (pausing the low topic) gives it soon; without the rule it waits behind
  // every low chunk already fetched.
  BATCH_CONCURRENCY: '1',
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  for (const s of services) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) continue;
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  }
  throw new Error('no replica left');
}

const submit = async (studentIds: string[], priority: string): Promise<string> => {
  const r = await api('POST', '/api/v1/batch/mastery', { student_ids: studentIds, priority });
  expect(r.status).toBe(202);
  return r.json.batch_id as string;
};
const status = async (id: string) => (await api('GET', `/api/v1/batch/${id}`)).json;

async function allResults(id: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { json: { items: { student_id: string }[]; next_cursor: string | null } } = await api('GET', `/api/v1/batch/${id}/results?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    ids.push(...page.json.items.map((i) => i.student_id));
    cursor = page.json.next_cursor;
  } while (cursor);
  return ids;
}

const finished = (s: { status: string }) => s.status === 'completed' || s.status === 'completed_with_errors';
const students = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

beforeAll(async () => {
  const port = await freePort();
  redisServer = Bun.spawn(['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdout: 'ignore', stderr: 'ignore' });
  redisUrl = `redis://127.0.0.1:${port}`;
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [
    { topic: config.topics.events, numPartitions: 6 },
    { topic: config.topics.dlq, numPartitions: 3 },
    { topic: config.topics.updates, numPartitions: 6 },
    ...Object.values(batchTopics(prefix)).map((topic) => ({ topic, numPartitions: 6 })),
  ]);
  const redis = createRedisClient(redisUrl, 5000);
  await waitUntilReady(redis, 5000);
  await seedStudents(redis, TENANT, students('k', 6000), TOPICS.slice(0, 2));
  await seedStudents(redis, TENANT, students('f', 3000), TOPICS.slice(0, 2));
  await redis.quit();
  auth = `Bearer ${await token({ role: 'admin', sub: 'admin-1', tenant: TENANT })}`;
  services.push(...(await Promise.all([0, 1, 2].map(() => startService(serviceEnv(), 30_000)))));
  // Every replica has joined the batch group once a small batch is done.
  const warm = await submit(students('k', 10), 'normal');
  await waitFor('the replicas to join the batch group', async () => finished(await status(warm)), 60_000, 200);
}, 120_000);

afterAll(async () => {
  await Promise.all(services.map((s) => (s.proc.exitCode === null && s.proc.signalCode === null ? s.stop() : Promise.resolve(0))));
  await deleteTopics(admin, config);
  await admin.deleteTopics({ topics: Object.values(batchTopics(prefix)) }).catch(() => undefined);
  await admin.disconnect();
  redisServer.kill('SIGCONT');
  redisServer.kill();
  await redisServer.exited;
}, 60_000);

describe('batch recalculation across replicas', () => {
  test('a replica SIGKILLed mid-batch: the batch completes on the others, processed == total, each student counted once', async () => {
    const ids = students('k', 6000);
    const id = await submit(ids, 'normal');
    await waitFor('the batch to be under way', async () => (await status(id)).processed >= 500, 30_000, 20);
    const victim = services[0]!;
    victim.proc.kill('SIGKILL');
    await victim.proc.exited;
    expect((await status(id)).processed).toBeLessThan(ids.length);
    await waitFor('the batch to complete on the survivors', async () => finished(await status(id)), 60_000, 200);
    const done = await status(id);
    expect(done).toMatchObject({ status: 'completed', total: 6000, processed: 6000, succeeded: 6000, failed: 0 });
    const results = await allResults(id);
    expect(results).toHaveLength(6000);
    expect(new Set(results).size).toBe(6000);
  }, 90_000);

  test('a high batch submitted behind a 50,000-student low batch finishes first', async () => {
    // 50,000 low students in five requests of 10,000 (the most one request takes); unknown
    // students are cheap to process but every chunk still goes through Kafka and the count.
    const lows: string[] = [];
    for (let i = 0; i < 5; i++) lows.push(await submit(students(`low${i}`, 10_000), 'low'));
    await waitFor('the low batches to be under way', async () => (await status(lows[0]!)).processed > 0, 30_000, 20);
    const high = await submit(students('k', 500), 'high');
    let lowProcessedWhenHighDone = -1;
    await waitFor(
      'the high batch to finish',
      async () => {
        const lowNow = await Promise.all(lows.map(status));
        if (!finished(await status(high))) return false;
        lowProcessedWhenHighDone = lowNow.reduce((n, s) => n + s.processed, 0);
        return true;
      },
      60_000,
      50,
    );
    expect((await status(high)).status).toBe('completed');
    // Most of the low work was still waiting when the high batch was done.
    expect(lowProcessedWhenHighDone).toBeLessThan(40_000);
    await waitFor('the low batches to finish', async () => (await Promise.all(lows.map(status))).every(finished), 90_000, 500);
    const lowDone = await Promise.all(lows.map(status));
    expect(lowDone.map((s) => s.processed)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
    expect(Math.max(...lowDone.map((s) => Date.parse(s.finished_at)))).toBeGreaterThan(Date.parse((await status(high)).finished_at));
  }, 150_000);

  test('Redis frozen for 10 s mid-batch: the batch pauses, then completes with every student counted once', async () => {
    const ids = students('f', 3000);
    const id = await submit(ids, 'high');
    await waitFor('the batch to be under way', async () => (await status(id)).processed > 0, 30_000, 10);
    redisServer.kill('SIGSTOP');
    const frozenAt = Date.now();
    await Bun.sleep(10_000);
    redisServer.kill('SIGCONT');
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(10_000);
    await waitFor('the batch to complete after the freeze', async () => {
      const s = await api('GET', `/api/v1/batch/${id}`);
      return s.status === 200 && finished(s.json);
    }, 60_000, 200);
    const done = await status(id);
    expect(done).toMatchObject({ status: 'completed', processed: 3000, succeeded: 3000 });
    expect(Date.parse(done.finished_at)).toBeGreaterThan(frozenAt + 10_000);
    const results = await allResults(id);
    expect(new Set(results).size).toBe(3000);
    expect(results).toHaveLength(3000);
    // The replicas saw the store fail and retried, rather than dropping or skipping chunks.
    expect(services.some((s) => s.logs.some((l) => l.includes('batch chunk failed; retrying')))).toBe(true);
  }, 90_000);
});
