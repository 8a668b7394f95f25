import { expect, test } from 'bun:test';
import { SECRET, token } from '../support/http';
import { startService, type RunningService } from '../support/service-process';
import { freePort, uniqueId } from '../support/services';

interface Sample {
  sentAt: number;
  doneAt: number;
  status: number;
  /** The breaker's state as /ready reported it in the same answer (readiness samples only). */
  breaker?: string;
}

/** Calls `once` every `everyMs` (without waiting for the previous call) until `running()` turns false. */
async function steadily(everyMs: number, running: () => boolean, once: () => Promise<void>): Promise<void> {
  const pending: Promise<void>[] = [];
  while (running()) {
    pending.push(once());
    await Bun.sleep(everyMs);
  }
  await Promise.all(pending);
}

test('Redis frozen for 10 s under steady writes: /ready follows the breaker, and writes succeed within 1 s of Redis coming back', async () => {
  // A Redis of this test's own: freezing the shared one would stall the other suites.
  const port = await freePort();
  const redis = Bun.spawn(['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdout: 'ignore', stderr: 'ignore' });
  let service: RunningService | undefined;
  try {
    service = await startService({
      APP_ENV: 'test',
      STATE_BACKEND: 'redis',
      REDIS_URL: `redis://127.0.0.1:${port}`,
      JWT_SECRET: SECRET,
      // The load and the readiness poller come from one principal and one address.
      RATE_LIMIT_PER_MINUTE: '1000000',
      OPS_RATE_LIMIT_PER_MINUTE: '1000000',
      // Longer than the freeze, so recovery cannot come from the breaker's reset timer by luck of
      // timing: with the default 5 s, where the timer happened to stand decided the outcome.
      BREAKER_RESET_MS: '30000',
    });
    const url = service.url;
    const auth = `Bearer ${await token({ role: 'service', sub: 'svc-1', tenant: 'tenant-1' })}`;
    const student = uniqueId('s');
    const writes: Sample[] = [];
    const readiness: Sample[] = [];
    const write = async () => {
      const sentAt = performance.now();
      const res = await fetch(`${url}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          event_id: crypto.randomUUID(),
          event_type: 'quiz.completed',
          student_id: student,
          topic_id: 'python-basics',
          occurred_at: new Date().toISOString(),
          data: { quiz_id: 'q1', score: 0.8 },
        }),
      });
      await res.arrayBuffer();
      writes.push({ sentAt, doneAt: performance.now(), status: res.status });
    };
    const ready = async () => {
      const sentAt = performance.now();
      const res = await fetch(`${url}/ready`);
      const body = (await res.json()) as { circuit_breakers?: { name: string; state: string }[] };
      readiness.push({ sentAt, doneAt: performance.now(), status: res.status, breaker: body.circuit_breakers?.find((b) => b.name === 'redis-state')?.state });
    };

    let running = true;
    const load = Promise.all([steadily(50, () => running, write), steadily(50, () => running, ready)]);
    await Bun.sleep(1000);
    redis.kill('SIGSTOP');
    const frozenAt = performance.now();
    let resumedAt: number;
    try {
      await Bun.sleep(10_000);
    } finally {
      redis.kill('SIGCONT');
      resumedAt = performance.now();
    }
    await Bun.sleep(3000);
    running = false;
    await load;

    const before = writes.filter((w) => w.doneAt < frozenAt);
    const frozen = writes.filter((w) => w.sentAt > frozenAt + 2000 && w.doneAt < resumedAt);
    const firstWriteOk = writes.filter((w) => w.sentAt >= resumedAt && w.status === 202).sort((a, b) => a.doneAt - b.doneAt)[0];
    const firstReady = readiness.filter((r) => r.sentAt >= resumedAt && r.status === 200).sort((a, b) => a.doneAt - b.doneAt)[0];
    console.log(
      `recovery after SIGCONT: first successful write ${firstWriteOk ? Math.round(firstWriteOk.doneAt - resumedAt) : '-'} ms, ` +
        `/ready 200 ${firstReady ? Math.round(firstReady.doneAt - resumedAt) : '-'} ms ` +
        `(/ready 503 ${Math.round((readiness.find((r) => r.sentAt > frozenAt && r.status === 503)?.doneAt ?? NaN) - frozenAt)} ms after SIGSTOP; ` +
        `${writes.length} writes, ${readiness.length} readiness checks)`,
    );

    // The setting: writes worked before the freeze and were refused while Redis was frozen.
    expect(before.length).toBeGreaterThan(5);
    expect(before.every((w) => w.status === 202)).toBe(true);
    expect(frozen.length).toBeGreaterThan(5);
    expect(frozen.every((w) => w.status === 503)).toBe(true);
    expect(readiness.some((r) => r.sentAt > frozenAt && r.doneAt < resumedAt && r.status === 503)).toBe(true);

    // Writes resume as soon as the store does, not after the breaker's reset time.
    expect((firstWriteOk?.doneAt ?? Infinity) - resumedAt).toBeLessThan(1000);
    expect(writes.filter((w) => w.sentAt >= resumedAt + 1000).every((w) => w.status === 202)).toBe(true);
    expect((firstReady?.doneAt ?? Infinity) - resumedAt).toBeLessThan(1000);
    // /ready agrees with the breaker: never ready while it is open, and once /ready has said 200,
    // every write sent afterwards succeeds.
    expect(readiness.every((r) => r.breaker !== undefined)).toBe(true);
    expect(readiness.filter((r) => r.breaker === 'open').every((r) => r.status === 503)).toBe(true);
    expect(writes.filter((w) => w.sentAt > firstReady!.doneAt).every((w) => w.status === 202)).toBe(true);
  } finally {
    await service?.stop('SIGKILL');
    redis.kill('SIGKILL');
  }
}, 60_000);
