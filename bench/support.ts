/** What the benches share: the curriculum, a realistic event mix, and their sections of docs/benchmarks.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import type Redis from 'ioredis';
import { connect, createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DAY_MS } from '../src/domain/mastery/topic-state';
import { shippedCurricula, shippedCurriculum } from '../tests/support/curriculum';

export const ROOT = join(import.meta.dir, '..');

export const curriculum = shippedCurriculum;
/** The engine's view of it: every bench tenant on the shipped file. */
export const curricula = shippedCurricula();
export const topics = [...curriculum.topics.values()];

/** The upper median of the values (the middle one of an odd count): the figure a bench reports over its rounds. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Event `i` of a run: a third lessons, a third quizzes, the rest code reviews and practice,
 * spread over `students` and every topic, over the six days before `now` (inside the window
 * of IDEMPOTENCY_RETENTION_DAYS=7 in which events are accepted).
 */
export function benchEvent(run: string, i: number, students: number, now: number) {
  const topic = topics[i % topics.length]!;
  const base = {
    event_id: `${run}-${i}`,
    student_id: `s${i % students}`,
    topic_id: topic.topicId,
    occurred_at: new Date(now - 6 * DAY_MS + (i % 6) * DAY_MS + (i % 3600) * 1000).toISOString(),
  };
  switch (i % 6) {
    case 0:
    case 1:
      return { ...base, event_type: 'lesson.completed', data: { lesson_id: topic.lessons[i % topic.lessons.length] } };
    case 2:
    case 3:
      return { ...base, event_type: 'quiz.completed', data: { quiz_id: `q${i}`, score: (i % 10) / 10 } };
    case 4:
      return { ...base, event_type: 'code.assessed', data: { submission_id: `c${i}`, quality_score: (i % 7) / 7 } };
    default:
      return { ...base, event_type: 'practice.session', data: { minutes: 20 } };
  }
}

/** Replaces one bench's marked section of docs/benchmarks.md, keeping the sections other benches write. */
export function writeBenchSection(name: string, section: string, command: string): void {
  const file = join(ROOT, 'docs/benchmarks.md');
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  let doc: string;
  try {
    doc = readFileSync(file, 'utf8');
  } catch {
    doc =
      '# Benchmarks\n\nProduced by `bun run bench` (which starts the real services it needs). Every figure is measured against a baseline in the same run, because absolute numbers on a shared 2-core machine move from run to run; the ratios are what the targets are about.\n\n';
  }
  const stamp = `_Last run: ${new Date().toISOString()}, Bun ${Bun.version}, ${cpus().length} CPUs. Command: \`${command}\`._\n\n`;
  const block = `${begin}\n${section}\n${stamp}${end}`;
  doc = doc.includes(begin) ? doc.replace(new RegExp(`${begin}[\\s\\S]*?${end}`), block) : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, doc);
}

/**
 * Deletes every key matching the patterns (a bench's own tenant), by SCAN: never KEYS on a shared
 * server. One UNLINK per key, so it works on a cluster master too, whose keys are of many slots.
 */
export async function deleteKeys(redis: Redis, patterns: readonly string[]): Promise<void> {
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await keys.reduce((pipeline, key) => pipeline.unlink(key), redis.pipeline()).exec();
    } while (cursor !== '0');
  }
}

/**
 * A redis-server of the bench's own on a free loopback port, no persistence, stopped by `stop()`
 * or when the bench process exits (a signal included, unless the bench handles it itself). Other work on the shared server
 * would otherwise show in what Redis reports per command (INFO commandstats).
 */
export async function privateRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
  const proc = Bun.spawn(['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdout: 'ignore', stderr: 'inherit' });
  const url = `redis://127.0.0.1:${port}`;
  // Not a daemon, but not killed with us either: stop it whenever this process ends.
  const kill = () => proc.kill('SIGTERM');
  process.once('exit', kill);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    if (process.listenerCount(signal) === 0) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode} (is it installed? scripts/services.sh up installs it)`);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1', () => {
        probe.end();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within 10 s`);
    await Bun.sleep(50);
  }
  return {
    url,
    stop: async () => {
      process.off('exit', kill);
      kill();
      await proc.exited;
    },
  };
}

/** Runs `measure` against a redis-server of the bench's own (privateRedis), stopped afterwards whatever happens. */
export async function withPrivateRedis<T>(measure: (url: string) => Promise<T>): Promise<T> {
  const server = await privateRedis();
  try {
    return await measure(server.url);
  } finally {
    await server.stop();
  }
}

/** Calls and microseconds per command since the last CONFIG RESETSTAT, from INFO commandstats. */
export type CommandStats = Map<string, { calls: number; usec: number }>;

export async function commandStats(redis: Redis): Promise<CommandStats> {
  const stats: CommandStats = new Map();
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (m) stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return stats;
}

/** `after` minus `before`, commands with no calls in between left out. */
export function statsBetween(before: CommandStats, after: CommandStats): CommandStats {
  const out: CommandStats = new Map();
  for (const [cmd, a] of after) {
    const b = before.get(cmd) ?? { calls: 0, usec: 0 };
    if (a.calls > b.calls) out.set(cmd, { calls: a.calls - b.calls, usec: a.usec - b.usec });
  }
  return out;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux; the
 * kernel counts in ticks of 1/100 s). The capacity model in docs/scaling.md is built from these.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The pid of the Kafka broker `scripts/kafka.sh` runs on this machine (its pid file, checked
 * against the process's command line as the script checks it), or undefined when none runs here
 * or KAFKA_BROKERS in the environment names a broker the bench may not be talking to.
 */
export function localBrokerPid(): number | undefined {
  if (process.env.KAFKA_BROKERS) return undefined;
  try {
    const pid = Number(readFileSync(join(ROOT, '.services', 'kafka', 'kafka.pid'), 'utf8').trim());
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('kafka.Kafka') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds the Redis server has used so far (INFO cpu: user + system, every thread). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Runs `taskset` with these arguments; throws with its message when it fails. */
function taskset(...args: string[]): void {
  const run = Bun.spawnSync(['taskset', ...args]);
  if (run.exitCode !== 0) throw new Error(`taskset ${args.join(' ')}: ${run.stderr.toString().trim()}`);
}

/**
 * Restricts the Redis servers behind these connections, and every thread of theirs, to the CPUs
 * `cpus` names (taskset's list, e.g. '1' or '0-1'). Only servers of this machine: each must listen
 * on loopback and its process id (INFO server) must be a redis-server here; anything else throws.
 */
export async function placeRedisServers(servers: readonly Redis[], cpus: string): Promise<void> {
  for (const server of servers) {
    const host = server.options.host ?? '127.0.0.1';
    if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`not a server of this machine: ${host}`);
    const pid = Number(/^process_id:(\d+)/m.exec(await server.info('server'))?.[1]);
    if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('redis-server')) throw new Error(`process ${pid} is not a redis-server`);
    taskset('--all-tasks', '--cpu-list', '--pid', cpus, String(pid));
  }
}

/** Restricts this process's main thread (only: Bun's helper threads, started with it, stay where they may run) to `cpus`. */
export function placeThisThread(cpus: string): void {
  taskset('--cpu-list', '--pid', cpus, String(process.pid));
}
