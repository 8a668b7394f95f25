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

  test('GET /ready is 503 when a required dependency is down or hangs', async () => {
    const { call } = testApp({
      probes: [
        { name: 'redis', check: () => Promise.reject(new Error('connection refused')) },
        { name: 'audit-store', check: () => new Promise(() => {}) },
      ],
    });
    const res = await call('GET', '/ready');
    expect(res.status).toBe(503);
    expect(res.json.status).toBe('not_ready');
    expect(res.json.dependencies.redis).toMatchObject({ status: 'down', error: 'connection refused', required: true });
    expect(res.json.dependencies['audit-store'].status).toBe('down');
  });

  test('a Kafka outage leaves /ready at 200, degraded in its body and in the metrics, so it cannot unready every replica', async () => {
    const { call } = testApp({
      probes: [{ name: 'redis', check: async () => {} }],
      optionalProbes: [{ name: 'kafka', check: () => Promise.reject(new Error('no broker answers')) }],
    });
    const res = await call('GET', '/ready');
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('degraded');
    expect(res.json.dependencies.kafka).toMatchObject({ status: 'down', error: 'no broker answers', required: false });
    expect(res.json.dependencies.redis).toMatchObject({ status: 'up', required: true });
    const metrics = (await call('GET', '/metrics')).text;
    expect(metrics).toContain('readiness_state 1');
    expect(metrics).toContain('dependency_up{dependency="kafka",required="false"} 0');
    expect(metrics).toContain('dependency_up{dependency="redis",required="true"} 1');
  });

  test('an open breaker makes /ready 503 even while the store answers its probe; half-open is still ready', async () => {
    let state: 'closed' | 'half_open' | 'open' = 'open';
    const breakers = () => [{ name: 'redis-state', state, failures: 5, successes: 0, rejects: 9, timeouts: 0 }];
    const { call } = testApp({ metrics: createMetrics(breakers), probes: [{ name: 'redis', check: async () => {} }] });
    const open = await call('GET', '/ready');
    expect([open.status, open.json.status, open.json.circuit_breakers]).toEqual([503, 'not_ready', [{ name: 'redis-state', state: 'open' }]]);
    expect((await call('GET', '/metrics')).text).toContain('readiness_state 2');
    state = 'half_open';
    expect((await call('GET', '/ready')).status).toBe(200);
    state = 'closed';
    const closed = await call('GET', '/ready');
    expect([closed.status, closed.json.status, closed.json.circuit_breakers]).toEqual([200, 'ready', [{ name: 'redis-state', state: 'closed' }]]);
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

describe('operational endpoints under pressure', () => {
  const limited = (perMinute: number) => testApp({ settings: { rateLimitPerMinute: 1000, opsRateLimitPerMinute: perMinute, bodyLimitBytes: 65_536, corsOrigins: [], metricsToken: undefined } });

  test.each(['/ready', '/metrics/detailed'])('%s is rate limited per client address, with Retry-After', async (path) => {
    const { call } = limited(3);
    for (let i = 0; i < 3; i++) expect((await call('GET', path)).status).toBe(200);
    const refused = await call('GET', path);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  test('/health and /metrics are not rate limited (liveness and the Prometheus scrape)', async () => {
    const { call } = limited(1);
    for (let i = 0; i < 5; i++) {
      expect((await call('GET', '/health')).status).toBe(200);
      expect((await call('GET', '/metrics')).status).toBe(200);
    }
  });

  test('with METRICS_TOKEN set, /metrics and /metrics/detailed want it as a Bearer token; the probes do not', async () => {
    const metricsToken = 'metrics-token-that-is-at-least-32-bytes';
    const { call } = testApp({ settings: { rateLimitPerMinute: 1000, opsRateLimitPerMinute: 1000, bodyLimitBytes: 65_536, corsOrigins: [], metricsToken } });
    for (const path of ['/metrics', '/metrics/detailed']) {
      const missing = await call('GET', path);
      expect([missing.status, missing.json.error.code]).toEqual([401, 'unauthorized']);
      expect((await call('GET', path, { headers: { authorization: `Bearer ${metricsToken}x` } })).status).toBe(401);
      expect((await call('GET', path, { headers: { authorization: `Bearer ${metricsToken}` } })).status).toBe(200);
    }
    expect((await call('GET', '/ready')).status).toBe(200);
    expect((await call('GET', '/health')).status).toBe(200);
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
