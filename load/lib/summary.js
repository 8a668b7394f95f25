// handleSummary: the full k6 summary and the headline figures as JSON in
// load/results/<scenario>-summary.json (RESULTS_DIR overrides), and a short text report on stdout.

const round = (x, d = 2) => (typeof x === 'number' ? Math.round(x * 10 ** d) / 10 ** d : null);

function figures(name, data) {
  const m = data.metrics;
  const d = (m['http_req_duration{phase:run}'] || m.http_req_duration).values;
  const reqs = (m['http_reqs{phase:run}'] || m.http_reqs).values;
  const endpoint = (metric) => {
    const v = m[metric]?.values;
    return v ? { p50_ms: round(v.med), p95_ms: round(v['p(95)']), p99_ms: round(v['p(99)']) } : null;
  };
  const thresholds = {};
  for (const [metric, def] of Object.entries(m)) {
    for (const [expr, res] of Object.entries(def.thresholds || {})) thresholds[`${metric}: ${expr}`] = res.ok;
  }
  return {
    scenario: name,
    finished_at: new Date().toISOString(),
    duration_s: round(data.state.testRunDurationMs / 1000, 1),
    max_vus: m.vus_max?.values.max ?? null,
    requests: reqs.count,
    requests_per_s: round(reqs.rate, 1),
    latency_ms: { avg: round(d.avg), p50: round(d.med), p90: round(d['p(90)']), p95: round(d['p(95)']), p99: round(d['p(99)']), max: round(d.max) },
    error_rate: round(m.http_req_failed.values.rate, 6),
    failed_requests: m.http_req_failed.values.passes,
    checks_rate: round(m.checks.values.rate, 6),
    checks_failed: m.checks.values.fails,
    endpoints: {
      'GET /api/v1/students/{id}/mastery': endpoint('latency_read_mastery'),
      'POST /api/v1/mastery/query': endpoint('latency_query_mastery'),
      'POST /api/v1/events': endpoint('latency_ingest_events'),
      'POST /api/v1/mastery/calculate': endpoint('latency_calculate'),
    },
    thresholds,
    thresholds_ok: Object.values(thresholds).every(Boolean),
  };
}

function text(f) {
  const l = f.latency_ms;
  const lines = [
    '',
    `== k6 ${f.scenario}: ${f.requests} requests in ${f.duration_s} s, up to ${f.max_vus} VUs`,
    `   throughput  ${f.requests_per_s} req/s`,
    `   latency ms  p50 ${l.p50}  p90 ${l.p90}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}`,
    `   errors      ${(f.error_rate * 100).toFixed(3)} % (${f.failed_requests} failed)   checks ${(f.checks_rate * 100).toFixed(3)} % passed (${f.checks_failed} failed)`,
    '   per endpoint (p50 / p95 / p99 ms):',
    ...Object.entries(f.endpoints)
      .filter(([, v]) => v)
      .map(([k, v]) => `     ${k.padEnd(36)} ${v.p50_ms} / ${v.p95_ms} / ${v.p99_ms}`),
    '   thresholds:',
    ...Object.entries(f.thresholds).map(([k, ok]) => `     ${ok ? 'PASS' : 'FAIL'}  ${k}`),
    '',
  ];
  return lines.join('\n');
}

export function summaryFor(name) {
  return (data) => {
    const f = figures(name, data);
    const dir = __ENV.RESULTS_DIR || 'load/results';
    return {
      stdout: text(f),
      [`${dir}/${name}-summary.json`]: JSON.stringify({ figures: f, k6: data }, null, 2),
    };
  };
}
