import type { Subprocess } from 'bun';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './service-process';
import { freePort } from './services';

/**
 * The daprd binary scripts/daprd.sh builds (once; cached under .tools/daprd). A machine that
 * cannot build it fails the suite here, loudly: invocation through Dapr is not optional.
 */
export function daprdBinary(): string {
  const built = Bun.spawnSync(['scripts/daprd.sh', 'build'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  const path = built.stdout.toString().trim();
  if (built.exitCode !== 0 || path === '') throw new Error(`scripts/daprd.sh build failed (exit ${built.exitCode}):\n${built.stderr.toString().slice(-4000)}`);
  return path;
}

export interface RunningDaprd {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  /** Dapr's HTTP API, e.g. `${url}/v1.0/invoke/mastery-engine/method/process`. */
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

export interface DaprdOptions {
  appId?: string;
  /** The app this sidecar invokes; none for a caller's sidecar. */
  appPort?: number;
  /** Dapr sends it to the app as dapr-api-token; unset, it sends none. */
  appApiToken?: string;
  /** Component files; none by default (invocation needs none). */
  resourcesPath?: string;
  /** Where its ports come from: a free one each (`freePort`) unless a test says otherwise. */
  pickPort?: () => Promise<number>;
}

/** Starts at most this many times when a port it was given was taken before it could bind it. */
const START_ATTEMPTS = 5;

/**
 * A private daprd for one test file, standalone (no placement, no sentry), every port on loopback
 * and free; resolves once its health endpoint, which waits for the app's port, says ready. A port
 * found free can be taken by another process before daprd binds it (the suites run in parallel):
 * daprd then exits at once saying so, and it starts again on other ports.
 */
export async function startDaprd(options: DaprdOptions, timeoutMs = 30_000): Promise<RunningDaprd> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDaprdOnce(options, timeoutMs);
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

/** daprd exited at start because one of its ports was in use. */
class PortTaken extends Error {}

async function startDaprdOnce(options: DaprdOptions, timeoutMs: number): Promise<RunningDaprd> {
  const bin = daprdBinary();
  const pickPort = options.pickPort ?? freePort;
  const [httpPort, grpcPort, internalPort] = [await pickPort(), await pickPort(), await pickPort()];
  const emptyResources = options.resourcesPath ? undefined : mkdtempSync(join(tmpdir(), 'daprd-resources-'));
  const args = [
    bin,
    '--app-id', options.appId ?? 'mastery-engine',
    '--mode', 'standalone',
    ...(options.appPort === undefined ? [] : ['--app-port', String(options.appPort), '--app-protocol', 'http']),
    '--dapr-listen-addresses', '127.0.0.1',
    '--dapr-http-port', String(httpPort),
    '--dapr-grpc-port', String(grpcPort),
    '--dapr-internal-grpc-port', String(internalPort),
    '--dapr-internal-grpc-listen-address', '127.0.0.1',
    '--resources-path', options.resourcesPath ?? emptyResources!,
    '--enable-metrics=false',
    '--log-level', 'info',
  ];
  const proc = Bun.spawn(args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...(options.appApiToken ? { APP_API_TOKEN: options.appApiToken } : {}) },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const logs: string[] = [];
  const drained = Promise.all(
    [proc.stdout, proc.stderr].map(async (stream) => {
      for await (const chunk of stream) logs.push(...new TextDecoder().decode(chunk).split('\n').filter((l) => l.length > 0));
    }),
  );
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    proc.kill('SIGTERM');
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
    if (!exited) proc.kill('SIGKILL');
    await proc.exited;
    if (emptyResources) rmSync(emptyResources, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) {
      if (emptyResources) rmSync(emptyResources, { recursive: true, force: true });
      await drained; // the whole log, which ends with the process
      const message = `daprd exited with ${proc.exitCode} at start:\n${logs.slice(-30).join('\n')}`;
      throw logs.some((l) => l.includes('address already in use')) ? new PortTaken(message) : new Error(message);
    }
    const res = await fetch(`${url}/v1.0/healthz`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    if (res?.status === 204) return { proc, url, logs, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`daprd was not ready within ${timeoutMs} ms:\n${logs.slice(-30).join('\n')}`);
    }
    await Bun.sleep(50);
  }
}
