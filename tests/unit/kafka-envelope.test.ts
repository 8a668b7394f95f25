import { describe, expect, test } from 'bun:test';
import { decodeEventMessage } from '../../src/adapters/kafka/envelope';
import { parseLearningEvent } from '../../src/domain/mastery/event';

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

const native = {
  event_id: 'evt-1',
  event_type: 'quiz.completed',
  student_id: 'student-1',
  topic_id: 'python-basics',
  tenant_id: 'acme',
  occurred_at: '2026-01-14T10:00:00Z',
  data: { quiz_id: 'q1', score: 0.8 },
};

const cloudEvent = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/learnflow/quiz',
  type: 'quiz.completed',
  time: '2026-01-14T10:00:00Z',
  datacontenttype: 'application/json',
  data: { student_id: 'student-1', topic_id: 'python-basics', tenant_id: 'acme', quiz_id: 'q1', score: 0.8 },
};

describe('decoding a Kafka message into the event envelope', () => {
  test('a native envelope passes through unchanged', () => {
    expect(decodeEventMessage(bytes(native))).toEqual({ ok: true, format: 'native', envelope: native });
  });

  test('a CloudEvent with identity inside data maps to the native envelope', () => {
    expect(decodeEventMessage(bytes(cloudEvent))).toEqual({ ok: true, format: 'cloudevents', envelope: native });
  });

  test('a CloudEvent may carry the identity as extension attributes studentid, topicid, tenantid', () => {
    const ce = { ...cloudEvent, studentid: 'student-1', topicid: 'python-basics', tenantid: 'acme', data: { quiz_id: 'q1', score: 0.8 } };
    expect(decodeEventMessage(bytes(ce))).toEqual({ ok: true, format: 'cloudevents', envelope: native });
  });

  test('the mapped CloudEvent is a valid learning event for the one ingest path', () => {
    const decoded = decodeEventMessage(bytes(cloudEvent));
    expect(decoded.ok && parseLearningEvent(decoded.envelope).ok).toBe(true);
  });

  test('a CloudEvent without a tenant falls back to the default tenant like a native event', () => {
    const { tenant_id: _t, ...data } = cloudEvent.data;
    const decoded = decodeEventMessage(bytes({ ...cloudEvent, data }));
    const parsed = decoded.ok ? parseLearningEvent(decoded.envelope) : undefined;
    expect(parsed?.ok && parsed.event.tenantId).toBe('default');
  });

  test('data and an extension naming different students is refused rather than guessed', () => {
    expect(decodeEventMessage(bytes({ ...cloudEvent, studentid: 'someone-else' }))).toMatchObject({ ok: false, reason: 'invalid_envelope' });
  });

  test('the same identity in data and extension is accepted', () => {
    expect(decodeEventMessage(bytes({ ...cloudEvent, studentid: 'student-1' })).ok).toBe(true);
  });

  test('a native envelope wrapped by Dapr (type com.dapr.event.sent) is unwrapped', () => {
    const wrapped = { specversion: '1.0', id: 'dapr-id', source: 'producer-app', type: 'com.dapr.event.sent', topic: 'learning.events', pubsubname: 'pubsub', data: native };
    expect(decodeEventMessage(bytes(wrapped))).toEqual({ ok: true, format: 'cloudevents', envelope: native });
  });

  test.each([
    ['bad JSON', 'invalid_json', '{"event_id": '],
    ['an empty value', 'invalid_json', ''],
    ['a JSON array', 'invalid_envelope', '[1]'],
    ['a JSON string', 'invalid_envelope', '"hello"'],
    ['CloudEvents 0.3', 'invalid_envelope', JSON.stringify({ ...cloudEvent, specversion: '0.3' })],
    ['base64 data', 'invalid_envelope', JSON.stringify({ ...cloudEvent, data: undefined, data_base64: 'AAAA' })],
    ['XML data', 'invalid_envelope', JSON.stringify({ ...cloudEvent, datacontenttype: 'application/xml' })],
  ])('%s is refused as %s', (_name, reason, value) => {
    expect(decodeEventMessage(Buffer.from(value))).toMatchObject({ ok: false, reason });
  });

  test('a null value (a tombstone) is refused', () => {
    expect(decodeEventMessage(null)).toMatchObject({ ok: false, reason: 'invalid_json' });
  });

  test('a CloudEvent whose fields are wrong still maps, so validation names the field', () => {
    const decoded = decodeEventMessage(bytes({ ...cloudEvent, time: 'yesterday' }));
    const parsed = decoded.ok ? parseLearningEvent(decoded.envelope) : undefined;
    expect(parsed && !parsed.ok && parsed.errors.map((e) => e.field)).toEqual(['occurred_at']);
  });
});
