import { describe, expect, test } from 'bun:test';
import { EVENTS_BODY_LIMIT_BYTES } from '../../src/adapters/http/events.routes';
import { bearer, event, testApp } from '../support/http';

describe('input safety', () => {
  test('a body over the limit answers 413, whether declared or streamed', async () => {
    const { call, app } = testApp();
    const headers = await bearer('service', 'platform');
    const big = JSON.stringify({ ...event(), padding: 'x'.repeat(EVENTS_BODY_LIMIT_BYTES) });
    const declared = await call('POST', '/api/v1/events', { raw: big, headers });
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('payload_too_large');
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await app.handle(new Request('http://localhost/api/v1/events', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: stream }));
    expect(res.status).toBe(413);
  });

  test.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp'])('content type %s answers 415', async (type) => {
    const { call } = testApp();
    const res = await call('POST', '/api/v1/events', { raw: JSON.stringify(event()), headers: { ...(await bearer('service', 'platform')), 'content-type': type } });
    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe('unsupported_media_type');
  });

  test.each(['{"event_id": ', '{bad json}', '', 'undefined'])('malformed JSON %p answers 400', async (raw) => {
    const { call } = testApp();
    const res = await call('POST', '/api/v1/mastery/query', { raw, headers: await bearer('admin', 'admin-1') });
    expect(res.status).toBe(400);
    expect(['malformed_json', 'validation_failed']).toContain(res.json.error.code);
  });

  test.each(['test; DROP TABLE users;--', '<script>alert(1)</script>', '$(rm -rf /)', '../../etc/passwd', 'a'.repeat(129)])(
    'the id %p is refused by validation and never reaches the store',
    async (bad) => {
      const { call, deps } = testApp();
      const seen: string[] = [];
      const store = deps.engine.store;
      deps.engine.store = new Proxy(store, {
        get: (target, prop) => {
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (...args: unknown[]) => (seen.push(JSON.stringify(args[0])), (v as (...a: unknown[]) => unknown).apply(target, args)) : v;
        },
      });
      const admin = await bearer('admin', 'admin-1');
      const viaPath = await call('GET', `/api/v1/students/${encodeURIComponent(bad)}/mastery`, { headers: admin });
      const viaQuery = await call('POST', '/api/v1/mastery/query', { body: { student_id: bad }, headers: admin });
      const viaEvent = await call('POST', '/api/v1/events', { body: event({ student_id: bad }), headers: admin });
      expect(viaPath.status).toBe(400);
      expect(viaQuery.status).toBe(400);
      expect(viaEvent.json.results[0]).toMatchObject({ status: 'rejected', errors: [{ field: 'student_id', code: 'invalid_format' }] });
      expect(seen).toEqual([]);
    },
  );

  test('security headers are on every response, errors and probes included', async () => {
    const { call } = testApp();
    for (const res of [await call('GET', '/health'), await call('GET', '/api/v1/cohorts'), await call('GET', '/nowhere')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
  });

  test('API data is never cached', async () => {
    const { call } = testApp();
    const res = await call('GET', '/api/v1/students/student-1/mastery', { headers: await bearer('student', 'student-1') });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  test('CORS answers only origins on the allow-list', async () => {
    const { call } = testApp();
    const allowed = await call('OPTIONS', '/api/v1/mastery/query', { headers: { origin: 'https://app.learnflow.example', 'access-control-request-method': 'POST' } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.learnflow.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    const other = await call('GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('an unknown route answers 404 in the error shape, without a stack trace', async () => {
    const { call } = testApp();
    const res = await call('GET', '/nowhere');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { code: 'not_found', message: 'no such resource', request_id: res.headers.get('x-request-id') } });
  });

  test('an unexpected error answers 500 with no internals, and the log has no stack', async () => {
    const { call, deps, logs } = testApp();
    deps.engine.store.listTopics = () => Promise.reject(new TypeError('secret internals at /src/x.ts:12'));
    const res = await call('GET', '/api/v1/students/student-1/mastery', { headers: await bearer('student', 'student-1') });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('secret internals');
    expect(res.json.error.code).toBe('internal_error');
    const line = logs.find((l) => l.includes('unhandled error'))!;
    expect(line).toContain('secret internals');
    expect(line).not.toContain('"stack"');
  });
});
