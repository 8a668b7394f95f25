import { describe, expect, test } from 'bun:test';
import { createMetrics } from '../../src/adapters/observability/metrics';
import { bearer, testApp } from '../support/http';

describe('health and readiness', () => {
  test('GET /health answers {"status":"healthy"}', async () => {
    const { call } = testApp();
    const res = await call('GET', '/health');
    expect([res.status, res.json]).toEqual([200, { status: 'healthy' }]);
  });

  test('GET /ready is 200 with each dependency’s status and latency', async () => {
    const { call } = testApp({ probes: [{ name: 'redis', check: async () => {} }] });
    const res = await call('GET', '/ready');
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('ready');
    expect(res.json.dependencies.redis.status).toBe('up');
    expect(res.json.dependencies.redis.latency_ms).toBeNumber();
  });

  test('GET /ready is 503 when a dependency is down or hangs', async () => {
    const { call } = testApp({
      probes: [
        { name: 'redis', check: () => Promise.reject(new Error('connection refused')) },
        { name: 'kafka', check: () => new Promise(() => {}) },
      ],
    });
    const res = await call('GET', '/ready');
    expect(res.status).toBe(503);
    expect(res.json.dependencies.redis).toMatchObject({ status: 'down', error: 'connection refused' });
    expect(res.json.dependencies.kafka.status).toBe('down');
  });
});

describe('shutting down', () => {
  test('once shutdown starts, /ready is 503, new API requests are refused, /health still answers', async () => {
    const { call, lifecycle } = testApp();
    lifecycle.accepting = false;
    expect((await call('GET', '/ready')).status).toBe(503);
    expect((await call('GET', '/health')).status).toBe(200);
    const refused = await call('GET', '/api/v1/students/student-1/mastery', { headers: await bearer('student', 'student-1') });
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe('shutting_down');
    expect(refused.headers.get('connection')).toBe('close');
  });

  test('in-flight requests are counted until their response is sent', async () => {
    const { call, lifecycle } = testApp();
    await call('GET', '/health');
    await call('GET', '/api/v1/cohorts');
    expect(lifecycle.inFlight).toBe(0);
  });
});

describe('metrics and service info', () => {
  test('/metrics has the request histogram by route, method and status, in-flight, breaker state and process metrics', async () => {
    const breakers = () => [{ name: 'redis-state', state: 'open' as const, failures: 3, successes: 1, rejects: 2, timeouts: 0 }];
    const { call } = testApp({ metrics: createMetrics(breakers) });
    await call('GET', '/api/v1/students/student-1/mastery', { headers: await bearer('student', 'student-1') });
    const res = await call('GET', '/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toContain('http_request_duration_seconds_count{route="/api/v1/students/:student_id/mastery",method="GET",status="200"} 1');
    expect(res.text).toContain('http_requests_in_flight');
    expect(res.text).toContain('circuit_breaker_state{name="redis-state"} 2');
    expect(res.text).toContain('process_cpu_seconds_total');
  });

  test('/metrics/detailed is JSON with the circuit breakers', async () => {
    const breakers = () => [{ name: 'redis-state', state: 'closed' as const, failures: 0, successes: 9, rejects: 0, timeouts: 0 }];
    const { call } = testApp({ metrics: createMetrics(breakers) });
    const res = await call('GET', '/metrics/detailed');
    expect(res.status).toBe(200);
    expect(res.json.circuit_breakers).toEqual(breakers());
    expect(res.json.uptime_seconds).toBeNumber();
  });

  test('GET / names the service, version, commit, uptime and backends', async () => {
    const { call } = testApp();
    const res = await call('GET', '/');
    expect(res.json).toMatchObject({ name: 'mastery-engine', version: '0.0.0-test', commit: 'test', uptime_seconds: 5, backends: { state: 'memory', events: 'http' } });
  });
});

describe('correlation', () => {
  test('a valid X-Request-ID is honoured and returned; an unsafe one is replaced', async () => {
    const { call } = testApp();
    expect((await call('GET', '/health', { headers: { 'x-request-id': 'req-123' } })).headers.get('x-request-id')).toBe('req-123');
    const replaced = (await call('GET', '/health', { headers: { 'x-request-id': 'bad id with spaces' } })).headers.get('x-request-id');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('W3C traceparent keeps the trace id with a new span; a missing one starts a trace', async () => {
    const { call } = testApp();
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const out = (await call('GET', '/health', { headers: { traceparent: incoming } })).headers.get('traceparent')!;
    expect(out).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(out).not.toBe(incoming);
    expect((await call('GET', '/health')).headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  test('each request writes one JSON log line with its request id, trace id, route and status, and no token', async () => {
    const { call, logs } = testApp();
    const headers = await bearer('student', 'student-1');
    await call('GET', '/api/v1/students/student-1/mastery', { headers: { ...headers, 'x-request-id': 'req-log-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    const lines = logs.map((l) => JSON.parse(l)).filter((l) => l.request_id === 'req-log-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'request', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', route: '/api/v1/students/:student_id/mastery', status: 200, role: 'student', method: 'GET' });
    expect(logs.join('\n')).not.toContain(headers.authorization.slice(7));
  });
});

describe('the API description', () => {
  test('/docs/json is an OpenAPI 3 document with every route, its schemas and bearer security', async () => {
    const { call } = testApp();
    const doc = (await call('GET', '/docs/json')).json;
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/api/v1/mastery/calculate', '/api/v1/mastery/query', '/api/v1/students/{student_id}/mastery', '/api/v1/events', '/api/v1/cohorts', '/api/v1/cohorts/{cohort_id}', '/health', '/ready', '/metrics']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
    expect(doc.paths['/api/v1/mastery/query'].post.responses['401']).toBeDefined();
  });

  test('/docs is an interactive page', async () => {
    const { call } = testApp();
    const res = await call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
  });
});
