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
  /** Paced runs only: the longest event-loop stall (see watchEventLoop). */
  stall?: Stall;
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

/** The longest event-loop stall of a run, and the CPU time the process used during it. */
export interface Stall {
  ms: number;
  cpuMs: number;
}

/**
 * Watches the event loop with a 1 ms interval timer: `stop()` gives the longest gap between two
 * ticks beyond the 1 ms asked (how long the loop was held at once) and the CPU the process used in
 * that gap (every thread, the collector's included). CPU close to the gap: the process was busy
 * (a callback or a collection); far below it: the process was waiting for a CPU.
 */
export function watchEventLoop(): { stop: () => Stall } {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  let longest: Stall = { ms: 0, cpuMs: 0 };
  const timer = setInterval(() => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    if (now - last - 1 > longest.ms) longest = { ms: now - last - 1, cpuMs: (cpu.user + cpu.system) / 1000 };
    last = now;
    lastCpu = process.cpuUsage();
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      return longest;
    },
  };
}

/**
 * Open loop: requests start on a fixed schedule at `rps`; latency counts from the scheduled start.
 * Never before it: `Bun.sleep` rounds to whole milliseconds (a sub-millisecond sleep returns at
 * once), so the loop sleeps whole milliseconds until the start is due and then sends every request
 * due by then; the wait until the next tick is in the latency, as it would be for a client.
 */
export async function paced(op: (i: number) => Promise<void>, rps: number, seconds: number): Promise<Run> {
  const latencies: number[] = [];
  const interval = 1000 / rps;
  const total = Math.max(1, Math.floor(rps * seconds));
  const loop = watchEventLoop();
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) await Bun.sleep(Math.ceil(wait));
    inFlight.push(op(i).then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inFlight);
  const run = summarize(latencies, (performance.now() - start) / 1000);
  return { ...run, stall: loop.stop() };
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
