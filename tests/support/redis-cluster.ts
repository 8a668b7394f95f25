import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import type { Cluster } from 'ioredis';
import { createRedisClusterClient, waitUntilReady } from '../../src/adapters/redis/client';
import { requireService } from './services';

/**
 * Connections to the test cluster `scripts/redis-cluster.sh up` started (3 masters), each its own
 * ioredis Cluster client, ready before the suite's first test.
 */
export async function clusterClients(count: number, commandTimeoutMs = 2000): Promise<Cluster[]> {
  const url = requireService('REDIS_CLUSTER_URL');
  const clients = Array.from({ length: count }, () => createRedisClusterClient(url, commandTimeoutMs));
  await Promise.all(clients.map((c) => waitUntilReady(c, 10_000)));
  return clients;
}

export interface PrivateCluster {
  /** Seed URLs, comma-separated, as REDIS_URL takes them with REDIS_MODE=cluster. */
  url: string;
  nodes: { port: number; proc: Subprocess }[];
  /** Runs redis-cli against the cluster (first node) and returns its output; throws on failure. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const port = server.port;
    server.stop(true);
    // The cluster bus listens on port + 10000, so that must exist and be free too.
    if (port + 10_000 > 65_535 || taken.has(port)) continue;
    try {
      Bun.listen({ hostname: '127.0.0.1', port: port + 10_000, socket: { data() {} } }).stop(true);
      return port;
    } catch {
      // bus port taken: try another
    }
  }
}

/**
 * A cluster of this test's own, for faults (freezing a node) and resharding that must not disturb
 * the suites sharing the cluster of `services:up`: 3 masters, or one holding every slot (what
 * `redis-cli --cluster create`, which wants 3, cannot make). Stopped (SIGKILL) by `stop`.
 */
export async function startPrivateCluster(masters: 1 | 3 = 3): Promise<PrivateCluster> {
  const taken = new Set<number>();
  const nodes: PrivateCluster['nodes'] = [];
  const dir = mkdtempSync(join(tmpdir(), 'me-cluster-'));
  for (let i = 0; i < masters; i++) {
    const port = await freeClusterPort(taken);
    taken.add(port);
    const proc = Bun.spawn(
      ['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000', '--cluster-announce-ip', '127.0.0.1', '--dir', dir],
      { stdout: 'ignore', stderr: 'ignore' },
    );
    nodes.push({ port, proc });
  }
  const run = async (args: string[]): Promise<string> => {
    const proc = Bun.spawn(['redis-cli', ...args], { stdout: 'pipe', stderr: 'pipe' });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${code} ${err}${out}`);
    return out;
  };
  const stop = async () => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.proc.exited));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const n of nodes) {
      for (let i = 0; i < 100 && !(await run(['-p', String(n.port), 'ping']).catch(() => '')).includes('PONG'); i++) await Bun.sleep(50);
    }
    if (masters === 1) await run(['-p', String(nodes[0]!.port), 'cluster', 'addslotsrange', '0', '16383']);
    else await run(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (let i = 0; i < 100 && !(await run(['-p', String(nodes[0]!.port), 'cluster', 'info'])).includes('cluster_state:ok'); i++) await Bun.sleep(100);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(','),
    nodes,
    cli: (...args) => run(args),
    stop,
  };
}
