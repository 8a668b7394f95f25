import { afterAll, beforeAll } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprState } from '../../src/adapters/dapr/state';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { deleteKeys } from '../../bench/support';
import { requireService, uniqueId } from './services';
import { startDaprd, type RunningDaprd } from './daprd';

/** The two Dapr state stores every Dapr contract suite runs on: portability proven, not claimed. */
export const DAPR_STORES = ['redis', 'sqlite'] as const;
export type DaprStoreKind = (typeof DAPR_STORES)[number];

const STORE_NAME = 'statestore';

/**
 * A component file for `kind`. Redis: the shared test Redis under a key prefix no other run uses
 * (Dapr writes `<prefix>||<key>`), so parallel suites cannot collide. SQLite: a file of its own.
 */
function componentYaml(kind: DaprStoreKind, dir: string, keyPrefix: string): string {
  const meta =
    kind === 'redis'
      ? [
          ['redisHost', requireService('REDIS_URL').replace(/^redis:\/\//, '').replace(/\/.*$/, '')],
          ['keyPrefix', keyPrefix],
          ['actorStateStore', 'false'],
        ]
      : [
          ['connectionString', join(dir, 'state.db')],
          // Several writers (two adapter instances, concurrent applies) wait for the lock instead of failing.
          ['busyTimeout', '5s'],
        ];
  return [
    'apiVersion: dapr.io/v1alpha1',
    'kind: Component',
    'metadata:',
    `  name: ${STORE_NAME}`,
    'spec:',
    `  type: state.${kind}`,
    '  version: v1',
    '  metadata:',
    ...meta.map(([name, value]) => `    - name: ${name}\n      value: "${value}"`),
  ].join('\n');
}

export interface DaprStateUnderTest {
  /** The first sidecar (every client of a single-sidecar store talks to it). */
  daprd: RunningDaprd;
  /** state.redis writes every key as the hash `${keyPrefix}||${key}` (fields data, version). */
  keyPrefix: string;
  /**
   * A new client on connections of its own, to the sidecars in turn: on state.redis two clients
   * are two replicas, each with its own sidecar, sharing the store; on state.sqlite they share the
   * one sidecar that owns the file.
   */
  client(): DaprState;
  stop(): Promise<void>;
}

/**
 * Private daprd sidecars whose only component is a `kind` state store; fails loudly when daprd
 * cannot be built or started. `start` starts one sidecar (a test of this function gives its own).
 */
export async function startDaprState(kind: DaprStoreKind, start: typeof startDaprd = startDaprd): Promise<DaprStateUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), `dapr-state-${kind}-`));
  const keyPrefix = uniqueId('me-dapr-test');
  writeFileSync(join(dir, 'statestore.yaml'), componentYaml(kind, dir, keyPrefix));
  const sidecars: RunningDaprd[] = [];
  try {
    for (let i = 0; i < (kind === 'redis' ? 2 : 1); i++) sidecars.push(await start({ appId: 'mastery-engine', resourcesPath: dir }));
  } catch (err) {
    // No caller will stop the ones already running: they would outlive the test run.
    await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const clients: DaprState[] = [];
  return {
    daprd: sidecars[0]!,
    keyPrefix,
    client() {
      const sidecar = sidecars[clients.length % sidecars.length]!;
      const c = new DaprState({ host: '127.0.0.1', httpPort: Number(new URL(sidecar.url).port), storeName: STORE_NAME, timeoutMs: 5000, resetMs: 1000 });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) await c.close();
      // Some keys never expire (audit log, curricula, consent withdrawals): the run removes its own
      // from the shared Redis first, while the sidecars' slower graceful stops come after.
      if (kind === 'redis') {
        const redis = createRedisClient(requireService('REDIS_URL'), 5000);
        await waitUntilReady(redis, 5000);
        await deleteKeys(redis, [`${keyPrefix}||*`]);
        await redis.quit();
      }
      await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts one private daprd per Dapr state store for the file (before its tests, stopped after)
 * and hands each suite a getter for it: `each((kind, dapr) => describe...(...))`.
 */
export function forEachDaprStore(body: (kind: DaprStoreKind, dapr: () => DaprStateUnderTest) => void): void {
  for (const kind of DAPR_STORES) {
    let running: DaprStateUnderTest | undefined;
    beforeAll(async () => {
      running = await startDaprState(kind);
    });
    afterAll(() => running?.stop(), 30_000);
    body(kind, () => {
      if (!running) throw new Error(`daprd for state.${kind} did not start`);
      return running;
    });
  }
}
