import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { RedisMasteryStore } from '../../src/adapters/redis/mastery-store.redis';
import { parseLearningEvent, type LearningEvent } from '../../src/domain/mastery/event';
import { applyEvent, type TopicState } from '../../src/domain/mastery/topic-state';
import { applyWire, CONTRACT_NOW, freshStudent } from '../contract/mastery-store.contract';
import type { WireEvent } from '../support/events';
import { requireService, uniqueId } from '../support/services';
import { redisKeysOf, redisStoreOptions } from '../support/stores';

/**
 * Replicas racing erasures: three stores, each on its own connection and with its own version
 * cache, take turns applying events and erasing one student. Whatever the interleaving, the state
 * must be exactly what the events after the last erasure make, and nothing older may survive
 * anywhere in Redis. Seeded, so a failure names the run that reproduces it.
 */
const url = requireService('REDIS_URL');
const clients = [0, 1, 2].map(() => createRedisClient(url, 2000));
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));
const writers = clients.map((c) => new RedisMasteryStore(c, redisStoreOptions));

const RUNS = 1000;
const OPS_PER_RUN = 12;
const LESSONS: Record<string, string[]> = {
  'python-basics': ['python-basics.intro', 'python-basics.variables', 'python-basics.types'],
  'control-flow': ['control-flow.if-else', 'control-flow.while-loops', 'control-flow.for-loops'],
};
const TOPICS = Object.keys(LESSONS);
const policy = { consistencyWindowDays: 14, recencyHalfLifeDays: 14, thresholds: [0.4, 0.6, 0.8] as [number, number, number] };

/** mulberry32: a small seeded generator, so every run can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEvent(next: () => number, at: number): Partial<WireEvent> {
  const topic = TOPICS[Math.floor(next() * TOPICS.length)]!;
  const occurred_at = new Date(at).toISOString();
  const pick = Math.floor(next() * 4);
  const base = { event_id: uniqueId('ev'), topic_id: topic, occurred_at };
  if (pick === 0) return { ...base, event_type: 'lesson.completed', data: { lesson_id: LESSONS[topic]![Math.floor(next() * 3)] } };
  if (pick === 1) return { ...base, event_type: 'quiz.completed', data: { quiz_id: 'q', score: Math.round(next() * 100) / 100 } };
  if (pick === 2) return { ...base, event_type: 'code.assessed', data: { submission_id: 's', quality_score: Math.round(next() * 100) / 100 } };
  return { ...base, event_type: 'practice.session', data: { minutes: 1 + Math.floor(next() * 60) } };
}

describe('replicas racing erasures on one Redis', () => {
  test(`${RUNS} randomized runs of interleaved applies and erasures through three connections: no resurrection, no lost update`, async () => {
    for (let run = 0; run < RUNS; run++) {
      const next = rng(run + 1);
      const ref = freshStudent();
      let t = CONTRACT_NOW - 10 * 86_400_000;
      const sinceErasure: LearningEvent[] = [];
      const beforeErasure: string[] = [];
      for (let op = 0; op < OPS_PER_RUN; op++) {
        t += 60_000;
        const writer = writers[Math.floor(next() * writers.length)]!;
        if (next() < 0.2) {
          await writer.eraseStudent(ref, t);
          beforeErasure.push(...sinceErasure.map((e) => e.eventId));
          sinceErasure.length = 0;
          continue;
        }
        const wire = randomEvent(next, t);
        const outcome = await applyWire(writer, ref, wire);
        expect(outcome.kind, `run ${run}, op ${op}`).toBe('applied');
        const parsed = parseLearningEvent({ student_id: ref.studentId, tenant_id: ref.tenantId, ...wire });
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
        sinceErasure.push(parsed.event);
      }

      const model = new Map<string, TopicState>();
      for (const e of sinceErasure) model.set(e.topicId, applyEvent(model.get(e.topicId), e, policy));
      const reader = writers[run % writers.length]!;
      expect(Object.fromEntries(await reader.listTopics(ref)), `run ${run}`).toEqual(Object.fromEntries(model));

      // Nothing of what came before the last erasure is anywhere among the student's keys.
      const keys = await clients[0]!.keys(redisKeysOf(ref));
      const dumped: string[] = [];
      for (const key of keys) {
        const type = await clients[0]!.type(key);
        if (type === 'hash') dumped.push(...Object.entries(await clients[0]!.hgetall(key)).flat());
        else if (type === 'zset') dumped.push(...(await clients[0]!.zrange(key, 0, -1)));
        else dumped.push((await clients[0]!.get(key)) ?? '');
      }
      const text = dumped.join('\n');
      for (const id of beforeErasure) expect(text.includes(id), `run ${run}: ${id} survived its erasure`).toBe(false);
    }
  }, 120_000);
});
