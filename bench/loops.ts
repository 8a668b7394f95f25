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
  /** CPU time of this process (every thread: the load generator's share included) per request, in µs. */
  cpuUs: number;
  /** Paced runs only: the longest event-loop stall (see watchEventLoop). */
  stall?: Stall;
}

const summarize = (latencies: number[], seconds: number, cpu: NodeJS.CpuUsage): Run => {
  const asc = sorted(latencies);
  const cpuUs = latencies.length > 0 ? (cpu.user + cpu.system) / latencies.length : 0;
  return { rps: latencies.length / seconds, p50: percentile(asc, 50), p99: percentile(asc, 99), max: asc[asc.length - 1] ?? 0, cpuUs };
};

/** Closed loop: `workers` callers, each starting its next request when the last answers. */
export async function saturate(op: (i: number) => Promise<void>, seconds: number, workers: number): Promise<Run> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let i = 0;
  const cpu = process.cpuUsage();
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
  return summarize(latencies, (performance.now() - started) / 1000, process.cpuUsage(cpu));
}

/**
 * How an event loop was held during a run: the longest stall and the CPU the process used in it,
 * and all the stalls over STALL_MS together.
 */
export interface Stall {
  ms: number;
  cpuMs: number;
  /** Gaps over STALL_MS: how many, their total length, and the CPU used in them. */
  count: number;
  totalMs: number;
  totalCpuMs: number;
}

/** A gap this much longer than the 1 ms asked counts as a stall (timer and scheduler jitter stay under it). */
export const STALL_MS = 5;

/**
 * Watches the event loop with a 1 ms interval timer: a gap between two ticks beyond the 1 ms asked
 * is time the loop was held. With each gap goes the CPU the process used in it (every thread, the
 * collector's included): close to the gap, the process was busy (a callback or a collection); far
 * below it, the process was waiting for a CPU that the machine's other work held.
 */
export function watchEventLoop(): { stop: () => Stall } {
  let last = performance.now();
  let lastCpu = process.cpuUsage();
  const stall: Stall = { ms: 0, cpuMs: 0, count: 0, totalMs: 0, totalCpuMs: 0 };
  const timer = setInterval(() => {
    const now = performance.now();
    const used = process.cpuUsage(lastCpu);
    const gap = now - last - 1;
    const cpuMs = (used.user + used.system) / 1000;
    if (gap > stall.ms) Object.assign(stall, { ms: gap, cpuMs });
    if (gap > STALL_MS) Object.assign(stall, { count: stall.count + 1, totalMs: stall.totalMs + gap, totalCpuMs: stall.totalCpuMs + cpuMs });
    last = now;
    lastCpu = process.cpuUsage();
  }, 1);
  // A watcher never keeps a process alive (the probe runs inside servers that exit when idle).
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return { ...stall };
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
  const cpu = process.cpuUsage();
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) await Bun.sleep(Math.ceil(wait));
    inFlight.push(op(i).then(() => void latencies.push(performance.now() - due)));
  }
  await Promise.all(inFlight);
  const run = summarize(latencies, (performance.now() - start) / 1000, process.cpuUsage(cpu));
  return { ...run, stall: loop.stop() };
}

/** One request at a time, `times` times. */
export async function serial(op: () => Promise<unknown>, times: number): Promise<Run> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < times; i++) {
    const s = performance.now();
    await op();
    latencies.push(performance.now() - s);
  }
  return summarize(latencies, (performance.now() - t0) / 1000, process.cpuUsage(cpu));
}

/** A number for a report: thousands separated, a fixed count of decimals. */
export const fmt = (x: number, digits = 1): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** A report table row `| name | req/s | p50 | p99 | max |`. */
export const row = (name: string, r: Run): string => `| ${name} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${fmt(r.max, 2)} |`;
