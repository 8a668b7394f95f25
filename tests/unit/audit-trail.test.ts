import { expect, test } from 'bun:test';
import pino from 'pino';
import { AuditTrail } from '../../src/adapters/audit/audit-trail';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { MemoryAuditLog } from '../../src/adapters/memory/audit-log.memory';
import type { AuditEvent } from '../../src/domain/compliance/audit';

const event = (action: string, at: number): AuditEvent => ({ actor: 'admin:a', action, target: null, requestId: `r-${at}`, outcome: 'success', at });
const setup = () => {
  const log = new MemoryAuditLog({ sha256, clock: { now: () => 1_000 }, retentionMs: 86_400_000 });
  // A window far longer than the test: anything appended within it was not held back by the window.
  return { log, trail: new AuditTrail(log, pino({ level: 'silent' }), () => {}, 60_000) };
};

test('an awaited entry is in the log without waiting for the batching window, and takes the queued read entries along, in order', async () => {
  const { log, trail } = setup();
  trail.recordInBackground('t1', event('mastery.read', 1));
  await trail.record('t1', event('batch.submit', 2));
  expect((await log.list({ tenantId: 't1' })).map((r) => r.action)).toEqual(['mastery.read', 'batch.submit']);
});

test('entries awaited while an append is in flight are appended after it, each tenant in the order recorded', async () => {
  const { log, trail } = setup();
  const first = trail.record('t1', event('a', 1));
  await Promise.resolve();
  const rest = [trail.record('t1', event('b', 2)), trail.record('t2', event('x', 3)), trail.record('t1', event('c', 4))];
  await Promise.all([first, ...rest]);
  expect((await log.list({ tenantId: 't1' })).map((r) => r.action)).toEqual(['a', 'b', 'c']);
  expect((await log.list({ tenantId: 't2' })).map((r) => r.action)).toEqual(['x']);
});

test('a read entry alone waits for the window or an explicit flush', async () => {
  const { log, trail } = setup();
  trail.recordInBackground('t1', event('mastery.read', 1));
  await Bun.sleep(20);
  expect(await log.list({ tenantId: 't1' })).toEqual([]);
  await trail.flush();
  expect((await log.list({ tenantId: 't1' })).map((r) => r.action)).toEqual(['mastery.read']);
});
