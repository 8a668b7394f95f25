import Redis from 'ioredis';
import type { HealthProbe } from '../../ports/health.port';

/**
 * One ioredis connection tuned to fail fast: a command gets `commandTimeoutMs`, nothing queues
 * while disconnected, and reconnects keep trying in the background, so a frozen or dead Redis
 * turns into quick errors (and an open breaker) rather than hung requests.
 */
export function createRedisClient(url: string, commandTimeoutMs: number): Redis {
  return new Redis(url, {
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(1000, commandTimeoutMs * 2),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    lazyConnect: false,
    enableAutoPipelining: true,
  });
}

/** Resolves once the client is connected, or rejects after `timeoutMs`. */
export function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
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

export const redisProbe = (redis: Redis): HealthProbe => ({
  name: 'redis',
  check: async () => {
    await redis.ping();
  },
});
