import { afterAll, beforeAll, expect, test } from 'bun:test';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { RedisAuditLog } from '../../src/adapters/redis/audit-log.redis';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { auditKey, auditTargetIndexPrefix } from '../../src/adapters/redis/keys';
import { requireService, uniqueId } from '../support/services';
import { auditClock, auditEvent, describeAuditLogContract, verifyTenant } from './audit-log.contract';

const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 2000), createRedisClient(url, 2000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));
const YEAR = 365 * 86_400_000;

describeAuditLogContract('redis', () => {
  const clock = auditClock();
  return {
    log: new RedisAuditLog(clients[0], { sha256, clock, retentionMs: YEAR }),
    peer: new RedisAuditLog(clients[1], { sha256, clock, retentionMs: YEAR }),
    clock,
  };
});

test.each([0, 500, 999])('deleting entry %d of 1,000 from the stream is found at its position', async (position) => {
  const log = new RedisAuditLog(clients[0], { sha256, clock: auditClock(), retentionMs: YEAR });
  const tenant = uniqueId('t');
  await log.append(tenant, Array.from({ length: 1000 }, (_, i) => auditEvent(i)));
  const ids = (await clients[0].xrange(auditKey(tenant), '-', '+')).map(([id]) => id);
  await clients[0].xdel(auditKey(tenant), ids[position]!);
  expect(await verifyTenant(log, tenant)).toMatchObject({ intact: false, firstBrokenPosition: position });
});

test("records removed by retention leave their student's index too", async () => {
  const clock = auditClock();
  const log = new RedisAuditLog(clients[0], { sha256, clock, retentionMs: YEAR });
  const tenant = uniqueId('t');
  await log.append(tenant, [{ ...auditEvent(0, 'p0'), at: clock.now() - 2 * YEAR }, auditEvent(1, 'p0')]);
  await log.append(tenant, [auditEvent(2, 'p0')]);
  expect(await clients[0].zrange(auditTargetIndexPrefix(tenant) + 'p0', 0, -1)).toEqual(['1', '2']);
});

test('the audit stream is the one kind of key without a TTL', async () => {
  const tenant = uniqueId('t');
  await new RedisAuditLog(clients[0], { sha256, clock: auditClock(), retentionMs: YEAR }).append(tenant, [auditEvent(0)]);
  expect(await clients[0].ttl(auditKey(tenant))).toBe(-1);
});

test("every student's index in one append keeps the retention as its TTL, whether it got one record or several", async () => {
  const tenant = uniqueId('t');
  await new RedisAuditLog(clients[0], { sha256, clock: auditClock(), retentionMs: YEAR }).append(tenant, [auditEvent(0, 'p0'), auditEvent(1, 'p1'), auditEvent(2, 'p0')]);
  for (const target of ['p0', 'p1']) {
    const ttl = await clients[0].ttl(auditTargetIndexPrefix(tenant) + target);
    expect(ttl).toBeGreaterThan(YEAR / 1000 - 60);
    expect(ttl).toBeLessThanOrEqual(YEAR / 1000);
  }
  expect(await clients[0].zrange(auditTargetIndexPrefix(tenant) + 'p0', 0, -1)).toEqual(['0', '2']);
});
