import { percentile, sorted } from '../src/domain/analytics/statistics';

/**
 * The two load shapes the latency benches share: a closed loop that finds capacity, and an open
 * loop at a fixed rate whose latencies count from each request's scheduled start, so a stall
 * delays every request behind it instead of hiding in the gaps.
 */
export interface Run {
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

const summarize = (latencies: number[], seconds: number): Run => {
  const asc = sorted(latencies);
  return { rps: latencies.length / seconds, p50: percentile(asc, 50), p99: percentile(asc, 99), max: asc[asc.length - 1] ?? 0 };
};

/** Closed loop: `workers` callers, each starting its next request when the last answers. */
export async function saturate(op: (i: number) => Promise<void>, seconds: number, workers: number): Promise<Run> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let i = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await op(i++);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return summarize(latencies, (performance.now() - started) / 1000);
}

/** Open loop: requests start on a fixed schedule at `rps`; latency counts from the scheduled start. */
export async function paced(op: (i: number) => Promise<void>, rps: number, seconds: number): Promise<Run> {
  const latencies: number[] = [];
  const interval = 1000 / rps;
  const total = Math.max(1, Math.floor(rps * seconds));
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    inFlight.push(op(i).then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inFlight);
  return summarize(latencies, (performance.now() - start) / 1000);
}

/** One request at a time, `times` times. */
export async function serial(op: () => Promise<unknown>, times: number): Promise<Run> {
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < times; i++) {
    const s = performance.now();
    await op();
    latencies.push(performance.now() - s);
  }
  return summarize(latencies, (performance.now() - t0) / 1000);
}

/** A number for a report: thousands separated, a fixed count of decimals. */
export const fmt = (x: number, digits = 1): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** A report table row `| name | req/s | p50 | p99 | max |`. */
export const row = (name: string, r: Run): string => `| ${name} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 2)} |`;
