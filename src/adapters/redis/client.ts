import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { HealthProbe } from '../../ports/health.port';

/**
 * What the Redis adapters talk to: one server, or a Redis Cluster through its seed nodes. The
 * adapters use only what both offer; every script call and multi-key command names keys of one
 * hash tag (keys.ts), and requests that span students are single-key commands (auto-pipelined per
 * node), never one pipeline or script across slots.
 */
export type RedisClient = Redis | Cluster;

/** How a deployment reaches Redis: REDIS_MODE and REDIS_URL (seed nodes, comma-separated, for a cluster). */
export interface RedisConnection {
  mode: 'standalone' | 'cluster';
  url: string;
}

/** The timeouts and retries of one command on one connection: the same for a server and for each cluster node. */
const timeouts = (commandTimeoutMs: number): RedisOptions => ({
  commandTimeout: commandTimeoutMs,
  connectTimeout: Math.max(1000, commandTimeoutMs * 2),
  maxRetriesPerRequest: 1,
});

/**
 * Per-connection settings tuned to fail fast: a command gets `commandTimeoutMs`, nothing queues
 * while disconnected, and reconnects keep trying in the background, so a frozen or dead Redis
 * turns into quick errors (and an open breaker) rather than hung requests.
 */
const nodeOptions = (commandTimeoutMs: number): RedisOptions => ({
  ...timeouts(commandTimeoutMs),
  enableOfflineQueue: false,
  retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  lazyConnect: false,
});

/**
 * The scripts defined without a fixed number of keys (the mastery commits, snapshots and batch
 * reads, cohort, audit and prediction log adapters). Each call already carries many students or
 * records, gathered by its adapter, so none is auto-pipelined: ioredis keeps one auto-pipeline per
 * node in flight and holds every later command until that pipeline's last reply, which made this
 * process and Redis take turns (a burst of commits waited for the previous burst's whole reply
 * before its first call left). Sent on their own, they go out at once and overlap.
 */
const SCRIPTS_WITH_KEY_COUNT = ['masteryCommit', 'masterySnapshots', 'masteryReadStudents', 'cohortRemove', 'auditAppend', 'predictionLogDue'];

/** One connection to one Redis server. Single commands are auto-pipelined: those of one turn go in one write. */
export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, { ...nodeOptions(commandTimeoutMs), enableAutoPipelining: true, autoPipeliningIgnoredCommands: SCRIPTS_WITH_KEY_COUNT });
}

/** `redis://host:port` items of a comma-separated list, as ioredis Cluster seed nodes. */
export const clusterSeeds = (urls: string): { host: string; port: number }[] =>
  urls.split(',').map((raw) => {
    const u = new URL(raw.trim());
    return { host: u.hostname, port: Number(u.port || 6379) };
  });

/**
 * A Redis Cluster client from seed nodes; it learns the slot map from them and follows MOVED and
 * ASK redirections, so a resharding only delays the commands that meet it. Credentials and TLS
 * come from the first seed's URL and apply to every node.
 */
export function createRedisClusterClient(urls: string, commandTimeoutMs: number): Cluster {
  const first = new URL(urls.split(',')[0]!.trim());
  return new Cluster(clusterSeeds(urls), {
    enableOfflineQueue: false,
    // Commands are queued per node and sent together each tick, as on one server.
    enableAutoPipelining: true,
    // ...except the scripts above: besides holding later calls back, an auto-pipelined command is
    // routed by its first argument, which for these is a number, not a key, and would go to the
    // wrong node. Sent on their own, they are routed by their keys.
    autoPipeliningIgnoredCommands: SCRIPTS_WITH_KEY_COUNT,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    // A multi-key script meeting a slot half-way through a migration gets TRYAGAIN: retry soon.
    retryDelayOnTryAgain: 50,
    retryDelayOnMoved: 0,
    maxRedirections: 16,
    redisOptions: {
      // Offline queue, reconnects and connecting are the cluster client's own (above).
      ...timeouts(commandTimeoutMs),
      username: first.username ? decodeURIComponent(first.username) : undefined,
      password: first.password ? decodeURIComponent(first.password) : undefined,
      tls: first.protocol === 'rediss:' ? {} : undefined,
    },
  });
}

/** The client REDIS_MODE asks for. */
export const connectRedis = (conn: RedisConnection, commandTimeoutMs: number): RedisClient =>
  conn.mode === 'cluster' ? createRedisClusterClient(conn.url, commandTimeoutMs) : createRedisClient(conn.url, commandTimeoutMs);

/** Resolves once the client is connected (for a cluster: once it holds the slot map), or rejects after `timeoutMs`. */
export function waitUntilReady(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`redis not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/**
 * PINGs the server, or every master of a cluster: a cluster with one master down cannot serve
 * that master's slots, so the replica is not ready even though other nodes answer.
 */
export const pingAll = async (redis: RedisClient): Promise<void> => {
  if (!redis.isCluster) {
    await redis.ping();
    return;
  }
  const masters = (redis as Cluster).nodes('master');
  if (masters.length === 0) throw new Error('redis cluster: no master known');
  await Promise.all(masters.map((node) => node.ping()));
};

export const redisProbe = (redis: RedisClient): HealthProbe => ({
  name: 'redis',
  check: () => pingAll(redis),
});
