import { describe, expect, test } from 'bun:test';
import { EVENTS_BODY_LIMIT_BYTES, MAX_BATCH, MAX_EVENT_BYTES } from '../../src/adapters/http/events.routes';
import { StoreUnavailableError, type MasteryStore, type StudentRef } from '../../src/ports/mastery-store.port';
import type { MasteryUpdate, MasteryUpdates } from '../../src/ports/mastery-updates.port';
import { bearer, event, testApp } from '../support/http';

describe('POST /api/v1/events', () => {
  test('ingests one event and answers 202 with its outcome', async () => {
    const { call } = testApp();
    const e = event();
    const res = await call('POST', '/api/v1/events', { body: e, headers: await bearer('service', 'platform') });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ received: 1, applied: 1, duplicate: 0, discarded: 0, rejected: 0, results: [{ index: 0, event_id: e.event_id, status: 'applied' }] });
  });

  test('a batch answers each event: applied, duplicate or rejected with its reasons, in order', async () => {
    const { call, deps } = testApp();
    const first = event();
    const res = await call('POST', '/api/v1/events', {
      body: [first, event({ student_id: 'student-2' }), first, event({ topic_id: 'cobol' }), { event_id: 'x' }],
      headers: await bearer('service', 'platform'),
    });
    expect(res.status).toBe(202);
    expect(res.json.results.map((r: { status: string }) => r.status)).toEqual(['applied', 'applied', 'duplicate', 'rejected', 'rejected']);
    expect(res.json.results[3].errors[0]).toMatchObject({ field: 'topic_id', code: 'unknown_value' });
    expect(res.json.results[4].errors.map((e: { field: string }) => e.field)).toContain('student_id');
    expect((await deps.engine.store.getTopic({ tenantId: 'default', studentId: 'student-1' }, 'python-basics'))?.eventCount).toBe(1);
  });

  test('events of one student in a batch are applied in the order given', async () => {
    const { call } = testApp();
    const same = event();
    const res = await call('POST', '/api/v1/events', { body: [same, { ...same, data: { quiz_id: 'q', score: 0 } }], headers: await bearer('service', 'platform') });
    expect(res.json.results.map((r: { status: string }) => r.status)).toEqual(['applied', 'duplicate']);
  });

  test(`a batch of more than ${MAX_BATCH} events is refused whole`, async () => {
    const { call } = testApp();
    const body = Array.from({ length: MAX_BATCH + 1 }, () => ({}));
    const res = await call('POST', '/api/v1/events', { body, headers: await bearer('service', 'platform') });
    expect(res.status).toBe(400);
  });

  test(`a batch of ${MAX_BATCH} events of the documented maximum size fits the body limit; a larger body is refused`, async () => {
    const { call } = testApp();
    // Every id at its documented maximum of 128 characters, the longest time and data of each type.
    const id = (prefix: string, i: number) => `${prefix}-${i}-`.padEnd(128, 'x');
    const tenant = id('tenant', 0);
    const headers = await bearer('service', 'platform', tenant);
    const largest = (i: number) =>
      [
        { event_type: 'lesson.completed', data: { lesson_id: id('l', i) } },
        { event_type: 'quiz.completed', data: { quiz_id: id('q', i), correct: 999_999, total: 1_000_000 } },
        { event_type: 'code.assessed', data: { submission_id: id('c', i), quality_score: 0.12345678901234568 } },
        { event_type: 'practice.session', data: { minutes: 1439.9999999999998 } },
      ].map((typed) => ({ event_id: id('e', i), student_id: id('s', i), topic_id: id('t', i), tenant_id: tenant, occurred_at: '2026-01-20T10:00:00.123456789+00:00', ...typed }));
    const sizes = largest(0).map((e) => JSON.stringify(e).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    const batch = Array.from({ length: MAX_BATCH }, (_, i) => largest(i).reduce((a, b) => (JSON.stringify(a).length >= JSON.stringify(b).length ? a : b)));
    const raw = JSON.stringify(batch);
    expect(raw.length).toBeGreaterThan(MAX_BATCH * 800);
    const res = await call('POST', '/api/v1/events', { raw, headers });
    expect([res.status, res.json.received]).toEqual([202, MAX_BATCH]);

    const tooLarge = await call('POST', '/api/v1/events', { raw: `[${' '.repeat(EVENTS_BODY_LIMIT_BYTES)}{}]`, headers });
    expect([tooLarge.status, tooLarge.json.error.code]).toEqual([413, 'payload_too_large']);
    // Other routes keep the general limit.
    const elsewhere = await call('POST', '/api/v1/mastery/query', { raw: `{${' '.repeat(70_000)}"student_id":"student-1"}`, headers: await bearer('admin', 'a') });
    expect(elsewhere.status).toBe(413);
  });

  test('a batch item that is not an object is rejected on its own, with a reason in the documented shape', async () => {
    const { call } = testApp();
    const res = await call('POST', '/api/v1/events', { body: [[true, {}, ['', 1]], [], event()], headers: await bearer('service', 'platform') });
    expect(res.status).toBe(202);
    const notAnObject = { status: 'rejected', errors: [{ field: '', code: 'invalid_type', message: 'an event must be a JSON object' }] };
    expect(res.json.results).toMatchObject([notAnObject, notAnObject, { status: 'applied' }]);
  });

  test('an event for another tenant is rejected, one without tenant_id takes the caller’s', async () => {
    const { call, deps } = testApp();
    const headers = await bearer('service', 'platform', 'acme');
    const res = await call('POST', '/api/v1/events', { body: [event({ tenant_id: 'globex' }), event()], headers });
    expect(res.json.results[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'tenant_id', code: 'forbidden' }] });
    expect(res.json.results[1].status).toBe('applied');
    expect((await deps.engine.store.listTopics({ tenantId: 'acme', studentId: 'student-1' })).size).toBe(1);
    expect((await deps.engine.store.listTopics({ tenantId: 'globex', studentId: 'student-1' })).size).toBe(0);
  });

  test.each(['student', 'teacher'] as const)('a %s may not send events', async (role) => {
    const { call } = testApp();
    const res = await call('POST', '/api/v1/events', { body: event(), headers: await bearer(role, 'student-1') });
    expect(res.status).toBe(403);
  });

  test('counts ingested events by source, type and outcome in the metrics', async () => {
    const { call } = testApp();
    const headers = await bearer('service', 'platform');
    const e = event();
    await call('POST', '/api/v1/events', { body: [e, e, { nonsense: true }], headers });
    const metrics = (await call('GET', '/metrics')).text;
    expect(metrics).toContain('events_ingested_total{source="http",type="quiz.completed",outcome="applied"} 1');
    expect(metrics).toContain('events_ingested_total{source="http",type="quiz.completed",outcome="duplicate"} 1');
    expect(metrics).toContain('events_ingested_total{source="http",type="invalid",outcome="rejected"} 1');
  });

  test('a failing store answers 503 with Retry-After, and the batch can be resent safely', async () => {
    const { call, deps } = testApp();
    const real = deps.engine.store;
    let down = true;
    deps.engine.store = new Proxy(real, {
      get: (target, prop) => {
        const v = Reflect.get(target, prop) as unknown;
        if (prop === 'applyEvent' && down) return () => Promise.reject(new StoreUnavailableError('redis down'));
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const headers = await bearer('service', 'platform');
    const batch = [event(), event({ student_id: 'student-2' })];
    const failed = await call('POST', '/api/v1/events', { body: batch, headers });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(failed.json.error.code).toBe('service_unavailable');
    expect(failed.text).not.toContain('redis down');
    down = false;
    const retried = await call('POST', '/api/v1/events', { body: batch, headers });
    expect(retried.json.applied).toBe(2);
  });
});

describe('announcing mastery changes', () => {
  /** A topic in memory: what was published, in order. */
  class MemoryTopic implements MasteryUpdates {
    readonly updates: MasteryUpdate[] = [];
    down = false;
    /** Every record in order, as a compacted topic's consumer sees it: a null value is a tombstone. */
    readonly log: { key: string; value: MasteryUpdate | null }[] = [];
    async publish(updates: readonly MasteryUpdate[]) {
      if (this.down) throw new Error('broker unreachable');
      this.updates.push(...updates);
      this.log.push(...updates.map((u) => ({ key: `${u.tenantId}/${u.studentId}`, value: u })));
    }
    async publishErasure(ref: StudentRef) {
      this.log.push({ key: `${ref.tenantId}/${ref.studentId}`, value: null });
    }
  }

  test('events applied over HTTP are announced like those from Kafka; duplicates and rejects are not', async () => {
    const topic = new MemoryTopic();
    const { call } = testApp({ updates: topic });
    const e = event({ data: { quiz_id: 'q', score: 1 } });
    await call('POST', '/api/v1/events', { body: [e, e, { bad: true }], headers: await bearer('service', 'platform') });
    expect(topic.updates).toHaveLength(1);
    expect(topic.updates[0]).toMatchObject({ tenantId: 'default', studentId: 'student-1', topicId: 'python-basics', eventId: e.event_id, level: 'novice' });
  });

  test('an update applied before an erasure elsewhere is never the last word after its tombstone', async () => {
    const topic = new MemoryTopic();
    const base = testApp();
    const store = base.deps.engine.store;
    // Another replica erases the student, tombstone and all, between this replica's apply and its publish.
    let raced = false;
    const racing: MasteryStore = Object.assign(Object.create(store) as MasteryStore, {
      applyEvent: async (...args: Parameters<MasteryStore['applyEvent']>) => {
        const outcome = await store.applyEvent(...args);
        if (!raced) {
          raced = true;
          await store.eraseStudent(args[0], base.clock.now());
          await topic.publishErasure(args[0]);
        }
        return outcome;
      },
    });
    const { call } = testApp({ updates: topic, engine: { ...base.deps.engine, store: racing } });
    const res = await call('POST', '/api/v1/events', { body: event(), headers: await bearer('service', 'platform') });
    expect(res.json.applied).toBe(1);
    const forStudent = topic.log.filter((r) => r.key === 'default/student-1');
    expect(forStudent.map((r) => (r.value ? 'update' : 'tombstone'))).toEqual(['tombstone', 'update', 'tombstone']);
  });

  test('a failed announcement keeps the events applied, answers 202 and is counted', async () => {
    const topic = new MemoryTopic();
    topic.down = true;
    const { call } = testApp({ updates: topic });
    const res = await call('POST', '/api/v1/events', { body: event(), headers: await bearer('service', 'platform') });
    expect(res.status).toBe(202);
    expect(res.json.applied).toBe(1);
    expect((await call('GET', '/metrics')).text).toContain('http_mastery_updates_publish_failures_total 1');
  });
});
