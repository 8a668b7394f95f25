// Turns a k6 CSV output (`k6 run --out csv=<file>.csv.gz`, as scripts/load.sh runs it) into an SVG
// chart of the run over time: p50 / p95 / p99 latency per second against the 200 ms threshold
// (top), requests/s, failed requests/s and virtual users (bottom). Measured traffic only
// (tag phase=run), not setup().
// Usage: scripts/bun.sh scripts/load-chart.ts load/results/load.csv.gz docs/load/load.svg [title]
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, title = 'k6 run'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: load-chart.ts <k6 csv(.gz)> <out.svg> [title]');
  process.exit(2);
}

const raw = readFileSync(input);
const text = new TextDecoder().decode(input.endsWith('.gz') ? Bun.gunzipSync(raw) : raw);
const lines = text.split('\n');
const header = (lines[0] ?? '').split(',');
const col = (name: string) => {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`${input}: no column ${name} (is it k6 CSV output?)`);
  return i;
};
const [cMetric, cTime, cValue, cExtra] = [col('metric_name'), col('timestamp'), col('metric_value'), col('extra_tags')];

interface Second {
  durations: number[];
  requests: number;
  failed: number;
  vus: number;
}
const seconds = new Map<number, Second>();
const at = (t: number) => {
  let s = seconds.get(t);
  if (!s) seconds.set(t, (s = { durations: [], requests: 0, failed: 0, vus: 0 }));
  return s;
};
for (let i = 1; i < lines.length; i += 1) {
  const line = lines[i];
  if (!line) continue;
  // k6 quotes no field of these metrics; extra_tags is "k=v&k=v".
  const f = line.split(',');
  const metric = f[cMetric];
  if (metric !== 'http_req_duration' && metric !== 'http_reqs' && metric !== 'http_req_failed' && metric !== 'vus') continue;
  const t = Math.floor(Number(f[cTime]));
  const v = Number(f[cValue]);
  if (metric === 'vus') {
    at(t).vus = Math.max(at(t).vus, v);
    continue;
  }
  if (!(f[cExtra] ?? '').split('&').includes('phase=run')) continue;
  if (metric === 'http_req_duration') at(t).durations.push(v);
  else if (metric === 'http_reqs') at(t).requests += v;
  else if (v === 1) at(t).failed += 1;
}
if (seconds.size === 0) throw new Error(`${input}: no samples`);

const t0 = Math.min(...seconds.keys());
const t1 = Math.max(...seconds.keys());
const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
const rows: { x: number; p50: number; p95: number; p99: number; rps: number; failed: number; vus: number }[] = [];
let vus = 0;
for (let t = t0; t <= t1; t += 1) {
  const s = seconds.get(t);
  const d = (s?.durations ?? []).sort((a, b) => a - b);
  if (s && s.vus > 0) vus = s.vus;
  rows.push({ x: t - t0, p50: quantile(d, 0.5), p95: quantile(d, 0.95), p99: quantile(d, 0.99), rps: s?.requests ?? 0, failed: s?.failed ?? 0, vus });
}

// ---- drawing ----------------------------------------------------------------------------------
const W = 960;
const H = 560;
const left = 70;
const right = 70;
const top1 = 56;
const h1 = 250;
const top2 = top1 + h1 + 60;
const h2 = 150;
const plotW = W - left - right;
const THRESHOLD_MS = 200;
const duration = Math.max(1, t1 - t0);
const X = (x: number) => left + (x / duration) * plotW;
const finite = (v: number) => Number.isFinite(v);

const niceMax = (v: number) => {
  const p = 10 ** Math.floor(Math.log10(Math.max(v, 1)));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((n) => n >= v) ?? 10 * p;
};
const latMax = niceMax(Math.max(THRESHOLD_MS * 1.25, ...rows.map((r) => r.p99).filter(finite)));
const rpsMax = niceMax(Math.max(10, ...rows.map((r) => r.rps)));
const vusMax = niceMax(Math.max(1, ...rows.map((r) => r.vus)));
const Y1 = (ms: number) => top1 + h1 - (ms / latMax) * h1;
const Y2 = (rps: number) => top2 + h2 - (rps / rpsMax) * h2;
const Yv = (v: number) => top2 + h2 - (v / vusMax) * h2;

const path = (pts: [number, number][]) => {
  let d = '';
  let pen = false;
  for (const [x, y] of pts) {
    if (!finite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
};
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const xStep = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].find((s) => duration / s <= 12) ?? 7200;
const fmtX = (s: number) => (duration >= 600 ? `${Math.round(s / 60)} min` : `${s} s`);

const parts: string[] = [];
parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
const all = rows.flatMap((r) => (finite(r.p95) ? [r] : []));
const totalReq = rows.reduce((a, r) => a + r.rps, 0);
parts.push(`<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(title)}: latency and throughput per second</text>`);
parts.push(
  `<text x="${left}" y="42" fill="#555">${totalReq} requests over ${duration} s, up to ${Math.max(...rows.map((r) => r.vus))} VUs; per-second percentiles of http_req_duration (measured traffic, setup excluded)</text>`,
);

// Grids and axes.
for (let i = 0; i <= 5; i += 1) {
  const v = (latMax / 5) * i;
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y1(v)}" y2="${Y1(v)}" stroke="#e5e5e5"/>`);
  parts.push(`<text x="${left - 8}" y="${Y1(v) + 4}" text-anchor="end" fill="#333">${Math.round(v)}</text>`);
}
for (let i = 0; i <= 5; i += 1) {
  const v = (rpsMax / 5) * i;
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y2(v)}" y2="${Y2(v)}" stroke="#e5e5e5"/>`);
  parts.push(`<text x="${left - 8}" y="${Y2(v) + 4}" text-anchor="end" fill="#1f77b4">${Math.round(v)}</text>`);
  parts.push(`<text x="${left + plotW + 8}" y="${Yv((vusMax / 5) * i) + 4}" fill="#888">${Math.round((vusMax / 5) * i)}</text>`);
}
for (let s = 0; s <= duration; s += xStep) {
  for (const [yTop, h] of [[top1, h1], [top2, h2]] as const) parts.push(`<line x1="${X(s)}" x2="${X(s)}" y1="${yTop}" y2="${yTop + h}" stroke="#f0f0f0"/>`);
  parts.push(`<text x="${X(s)}" y="${top1 + h1 + 16}" text-anchor="middle" fill="#333">${fmtX(s)}</text>`);
  parts.push(`<text x="${X(s)}" y="${top2 + h2 + 16}" text-anchor="middle" fill="#333">${fmtX(s)}</text>`);
}
parts.push(`<rect x="${left}" y="${top1}" width="${plotW}" height="${h1}" fill="none" stroke="#999"/>`);
parts.push(`<rect x="${left}" y="${top2}" width="${plotW}" height="${h2}" fill="none" stroke="#999"/>`);
parts.push(`<text transform="translate(18,${top1 + h1 / 2}) rotate(-90)" text-anchor="middle" fill="#333">latency (ms)</text>`);
parts.push(`<text transform="translate(18,${top2 + h2 / 2}) rotate(-90)" text-anchor="middle" fill="#1f77b4">requests/s</text>`);
parts.push(`<text transform="translate(${W - 16},${top2 + h2 / 2}) rotate(90)" text-anchor="middle" fill="#888">virtual users</text>`);
parts.push(`<text x="${left + plotW / 2}" y="${top2 + h2 + 34}" text-anchor="middle" fill="#333">time since start of the run</text>`);

// Threshold.
parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${Y1(THRESHOLD_MS)}" y2="${Y1(THRESHOLD_MS)}" stroke="#d62728" stroke-dasharray="6,4"/>`);
parts.push(`<text x="${left + plotW - 4}" y="${Y1(THRESHOLD_MS) - 5}" text-anchor="end" fill="#d62728">threshold: p95 &lt; ${THRESHOLD_MS} ms</text>`);

// Series.
const line = (d: string, color: string, width: number, extra = '') => parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}" ${extra}/>`);
line(path(rows.map((r) => [X(r.x), finite(r.p99) ? Y1(Math.min(r.p99, latMax)) : NaN])), '#ff7f0e', 1, 'stroke-opacity="0.6"');
line(path(rows.map((r) => [X(r.x), finite(r.p95) ? Y1(Math.min(r.p95, latMax)) : NaN])), '#d62728', 1.8);
line(path(rows.map((r) => [X(r.x), finite(r.p50) ? Y1(Math.min(r.p50, latMax)) : NaN])), '#2ca02c', 1.8);
line(path(rows.map((r) => [X(r.x), Yv(r.vus)])), '#888888', 1.2, 'stroke-dasharray="3,3"');
line(path(rows.map((r) => [X(r.x), Y2(r.rps)])), '#1f77b4', 1.8);
for (const r of rows) if (r.failed > 0) parts.push(`<circle cx="${X(r.x)}" cy="${Y2(Math.min(r.failed, rpsMax))}" r="3" fill="#d62728"/>`);

// Legends.
const legend = (x: number, y: number, items: [string, string, string?][]) => {
  let cx = x;
  for (const [label, color, dash] of items) {
    parts.push(`<line x1="${cx}" x2="${cx + 22}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2" ${dash ? `stroke-dasharray="${dash}"` : ''}/>`);
    parts.push(`<text x="${cx + 27}" y="${y + 4}" fill="#333">${esc(label)}</text>`);
    cx += 34 + label.length * 6.6;
  }
};
legend(left + 8, top1 + 14, [
  ['p50', '#2ca02c'],
  ['p95', '#d62728'],
  ['p99', '#ff7f0e'],
]);
legend(left + 8, top2 - 10, [
  ['requests/s', '#1f77b4'],
  ['virtual users (right axis)', '#888888', '3,3'],
  ['failed requests/s (dots)', '#d62728'],
]);
const overall = all.length > 0 ? Math.max(...all.map((r) => r.p95)) : NaN;
parts.push(`<text x="${left + plotW}" y="${top1 + 14}" text-anchor="end" fill="#555">worst 1-s p95: ${finite(overall) ? overall.toFixed(1) : 'n/a'} ms</text>`);
parts.push('</svg>');

writeFileSync(output, parts.join('\n') + '\n');
console.error(`[load-chart] ${output}: ${rows.length} seconds, ${totalReq} requests`);
