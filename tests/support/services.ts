import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The real services `bun run services:up` started, read from `.services.env`. A suite that needs
 * one and cannot find it fails loudly: skipping would let a broken setup pass as green.
 */
export function requireService(name: 'REDIS_URL' | 'REDIS_CLUSTER_URL' | 'KAFKA_BROKERS'): string {
  const fromEnv = process.env[name];
  if (fromEnv) return fromEnv;
  const file = join(import.meta.dir, '..', '..', '.services.env');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [key, ...rest] = line.split('=');
      if (key?.trim() === name && rest.length > 0) return rest.join('=').trim();
    }
  }
  throw new Error(`${name} is not set and not in .services.env: run \`bun run services:up\` first (the test command does this for you)`);
}

/** A random id, so suites can share one server without seeing each other's data. */
export const uniqueId = (prefix: string): string => `${prefix}-${crypto.randomUUID().slice(0, 12)}`;

/** A loopback port free at the moment of asking, for a private server a test or bench starts. */
export async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}
