import type { Subprocess } from 'bun';
import { join } from 'node:path';

export const ROOT = join(import.meta.dir, '..', '..');

export interface RunningService {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  url: string;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/**
 * Starts the real service (`bun src/main.ts`) on a free port with the given settings and waits
 * for its "listening" log line. The process's JSON log lines are collected for assertions.
 */
export async function startService(env: Record<string, string>, timeoutMs = 15_000): Promise<RunningService> {
  const proc = Bun.spawn([process.execPath, 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const logs: string[] = [];
  let resolvePort: (port: number) => void = () => {};
  const portReady = new Promise<number>((r) => (resolvePort = r));
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of proc.stdout) {
      buffered += decoder.decode(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        logs.push(line);
        if (line.includes('mastery-engine listening')) resolvePort(JSON.parse(line).port as number);
      }
    }
  })();
  const stderr = new Response(proc.stderr).text();
  const timer = new Promise<never>((_, reject) =>
    setTimeout(async () => reject(new Error(`service did not start within ${timeoutMs} ms: ${logs.join('\n')}`)), timeoutMs),
  );
  const exited = proc.exited.then(async (code) => {
    throw new Error(`service exited with ${code} before listening: ${await stderr}`);
  });
  const port = await Promise.race([portReady, timer, exited]);
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    logs,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      proc.kill(signal);
      return proc.exited;
    },
  };
}
