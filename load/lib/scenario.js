// Scenario shapes and the release checklist's thresholds (docs/release-checklist.md):
//   p95 < 200 ms, error rate < 0.1 %, checks > 99.9 % on every scenario;
//   at least 100 requests/s sustained at 50 VUs on `load`.
// Latency and throughput thresholds count only the measured traffic (tag phase=run), not the
// seeding done in setup(); failed requests and checks count everything.

export const THRESHOLDS = {
  'http_req_duration{phase:run}': ['p(95)<200'],
  http_req_failed: ['rate<0.001'],
  checks: ['rate>0.999'],
  // Also makes k6 report the measured traffic's request count and rate apart from setup().
  'http_reqs{phase:run}': ['count>0'],
};

export const SHAPES = {
  // A few users for seconds: is the service up and does every endpoint answer correctly? (CI)
  smoke: { executor: 'constant-vus', vus: 5, duration: __ENV.SMOKE_DURATION || '20s' },
  // The checklist's baseline: 50 concurrent users, sustained.
  load: { executor: 'constant-vus', vus: 50, duration: __ENV.LOAD_DURATION || '60s' },
  // Ramp to 200 users and hold, then back to 20 to see recovery.
  stress: {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: [
      { duration: '30s', target: 200 },
      { duration: __ENV.STRESS_HOLD || '60s', target: 200 },
      { duration: '15s', target: 20 },
      { duration: '30s', target: 20 },
    ],
  },
  // From 10 users to 200 within 5 s, hold briefly, drop back and watch latency settle.
  spike: {
    executor: 'ramping-vus',
    startVUs: 10,
    stages: [
      { duration: '20s', target: 10 },
      { duration: '5s', target: 200 },
      { duration: '20s', target: 200 },
      { duration: '5s', target: 10 },
      { duration: '30s', target: 10 },
    ],
  },
  // 50 users for hours (manual): leaks, TTL/retention work, Kafka consumer health over time.
  soak: { executor: 'constant-vus', vus: 50, duration: __ENV.SOAK_DURATION || '2h' },
};

export function optionsFor(name) {
  const shape = SHAPES[name];
  if (!shape) throw new Error(`unknown scenario ${name}; one of ${Object.keys(SHAPES).join(', ')}`);
  const thresholds = { ...THRESHOLDS };
  if (name === 'load') thresholds['http_reqs{phase:run}'] = ['count>0', 'rate>100'];
  return {
    scenarios: { [name]: { ...shape, exec: 'default', gracefulStop: '10s' } },
    thresholds,
    summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
    setupTimeout: '60s',
    // Headers and bodies are checked: keep them.
    discardResponseBodies: false,
  };
}
