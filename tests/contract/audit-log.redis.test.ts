import { afterAll, beforeAll, expect, test } from 'bun:test';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { RedisAuditLog } from '../../src/adapters/redis/audit-log.redis';
import { createRedisClient, waitUntilReady } from '../../src/adapters/redis/client';
import { auditKey, auditSeqsPrefix, legacyAuditIndexPrefix } from '../../src/adapters/redis/keys';
import { requireService, uniqueId } from '../support/services';
import { auditClock, auditEvent, describeAuditLogContract, verifyTenant } from './audit-log.contract';

const url = requireService('REDIS_URL');
const clients = [createRedisClient(url, 2000), createRedisClient(url, 2000)] as const;
beforeAll(() => Promise.all(clients.map((c) => waitUntilReady(c, 5000))));
afterAll(() => Promise.all(clients.map((c) => c.quit())));
const YEAR = 365 * 86_400_000;
/** A log on the first connection keeping records a year. */
const yearLog = (clock = auditClock()) => new RedisAuditLog(clients[0], { sha256, clock, retentionMs: YEAR });
/** The seqs in a target's index list, as stored. */
const indexed = (tenant: string, target: string) => clients[0].lrange(auditSeqsPrefix(tenant) + target, 0, -1);

describeAuditLogContract('redis', () => {
  const clock = auditClock();
  return {
    log: new RedisAuditLog(clients[0], { sha256, clock, retentionMs: YEAR }),
    peer: new RedisAuditLog(clients[1], { sha256, clock, retentionMs: YEAR }),
    clock,
  };
});

test.each([0, 500, 999])('deleting entry %d of 1,000 from the stream is found at its position', async (position) => {
  const log = yearLog();
  const tenant = uniqueId('t');
  await log.append(tenant, Array.from({ length: 1000 }, (_, i) => auditEvent(i)));
  const ids = (await clients[0].xrange(auditKey(tenant), '-', '+')).map(([id]) => id);
  await clients[0].xdel(auditKey(tenant), ids[position]!);
  expect(await verifyTenant(log, tenant)).toMatchObject({ intact: false, firstBrokenPosition: position });
});

test("records removed by retention leave their student's index too", async () => {
  const clock = auditClock();
  const log = yearLog(clock);
  const tenant = uniqueId('t');
  await log.append(tenant, [{ ...auditEvent(0, 'p0'), at: clock.now() - 2 * YEAR }, auditEvent(1, 'p0')]);
  await log.append(tenant, [auditEvent(2, 'p0')]);
  expect(await indexed(tenant, 'p0')).toEqual(['1', '2']);
});

test('the audit stream has no TTL', async () => {
  const tenant = uniqueId('t');
  await yearLog().append(tenant, [auditEvent(0)]);
  expect(await clients[0].ttl(auditKey(tenant))).toBe(-1);
});

test("a student's index has no TTL, as the stream has none: it goes with the last of their records", async () => {
  const clock = auditClock();
  const log = yearLog(clock);
  const tenant = uniqueId('t');
  await log.append(tenant, [{ ...auditEvent(0, 'p0'), at: clock.now() - 2 * YEAR }, { ...auditEvent(1, 'p0'), at: clock.now() - 2 * YEAR }, auditEvent(2, 'p1')]);
  expect(await indexed(tenant, 'p0')).toEqual(['0', '1']);
  expect(await clients[0].ttl(auditSeqsPrefix(tenant) + 'p1')).toBe(-1);
  await log.append(tenant, [auditEvent(3, 'p1')]);
  expect(await clients[0].exists(auditSeqsPrefix(tenant) + 'p0')).toBe(0);
  expect(await indexed(tenant, 'p1')).toEqual(['2', '3']);
  expect(await clients[0].ttl(auditSeqsPrefix(tenant) + 'p1')).toBe(-1);
});

test("retention trims a student's index from its head, however many of their records go in one append", async () => {
  const clock = auditClock();
  const log = yearLog(clock);
  const tenant = uniqueId('t');
  const old = { at: clock.now() - 2 * YEAR };
  await log.append(tenant, [{ ...auditEvent(0, 'p0'), ...old }, { ...auditEvent(1, 'p1'), ...old }, { ...auditEvent(2, 'p0'), ...old }, auditEvent(3, 'p0'), auditEvent(4, 'p1')]);
  await log.append(tenant, [auditEvent(5, 'p0')]);
  expect(await indexed(tenant, 'p0')).toEqual(['3', '5']);
  expect(await indexed(tenant, 'p1')).toEqual(['4']);
  expect((await log.list({ tenantId: tenant, target: 'p0' })).map((r) => r.seq)).toEqual([3, 5]);
});

test("a student's entries page from any seq, past the index's read size", async () => {
  const log = yearLog();
  const tenant = uniqueId('t');
  // 2,500 entries about p0 (every other one), more than one read of the index (1,000 seqs).
  await log.append(tenant, Array.from({ length: 5000 }, (_, i) => auditEvent(i, i % 2 === 0 ? 'p0' : 'p1')));
  const all = (await log.list({ tenantId: tenant, target: 'p0' })).map((r) => r.seq);
  expect(all).toEqual(Array.from({ length: 2500 }, (_, i) => 2 * i));
  for (const [fromSeq, expected] of [[0, [0, 2, 4]], [1233, [1234, 1236, 1238]], [1234, [1234, 1236, 1238]], [4996, [4996, 4998]], [4999, []]] as const) {
    expect((await log.list({ tenantId: tenant, target: 'p0', fromSeq, limit: 3 })).map((r) => r.seq)).toEqual([...expected]);
  }
});

test('an index kept as a sorted set (before ADR 0021) is still read, before the entries listed since', async () => {
  const log = yearLog();
  const tenant = uniqueId('t');
  await log.append(tenant, Array.from({ length: 10 }, (_, i) => auditEvent(i, `p${i % 2}`)));
  // What the earlier version wrote: p0's seqs in a sorted set with the retention as its TTL, no list.
  const legacy = legacyAuditIndexPrefix(tenant) + 'p0';
  const listed = await indexed(tenant, 'p0');
  await clients[0].zadd(legacy, ...listed.flatMap((seq) => [seq, seq]));
  await clients[0].expire(legacy, YEAR / 1000);
  await clients[0].del(auditSeqsPrefix(tenant) + 'p0');
  await log.append(tenant, Array.from({ length: 4 }, (_, i) => auditEvent(10 + i, `p${i % 2}`)));
  expect((await log.list({ tenantId: tenant, target: 'p0' })).map((r) => r.seq)).toEqual([0, 2, 4, 6, 8, 10, 12]);
  expect((await log.list({ tenantId: tenant, target: 'p0', fromSeq: 5, limit: 3 })).map((r) => r.seq)).toEqual([6, 8, 10]);
  expect((await log.list({ tenantId: tenant, target: 'p0', fromSeq: 9, limit: 1 })).map((r) => r.seq)).toEqual([10]);
});
