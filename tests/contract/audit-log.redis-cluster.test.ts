import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { Cluster } from 'ioredis';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { RedisAuditLog } from '../../src/adapters/redis/audit-log.redis';
import { clusterClients } from '../support/redis-cluster';
import { auditSeqsPrefix } from '../../src/adapters/redis/keys';
import { uniqueId } from '../support/services';
import { auditClock, auditEvent, describeAuditLogContract } from './audit-log.contract';

let clients: Cluster[] = [];
beforeAll(async () => {
  clients = await clusterClients(2);
});
afterAll(() => Promise.all(clients.map((c) => c.quit())));
const YEAR = 365 * 86_400_000;

describeAuditLogContract('redis cluster', () => {
  const clock = auditClock();
  return {
    log: new RedisAuditLog(clients[0]!, { sha256, clock, retentionMs: YEAR }),
    peer: new RedisAuditLog(clients[1]!, { sha256, clock, retentionMs: YEAR }),
    clock,
  };
});

test("retention trims a student's index that the new records do not name (declared on a second pass)", async () => {
  const clock = auditClock();
  const log = new RedisAuditLog(clients[0]!, { sha256, clock, retentionMs: YEAR });
  const tenant = uniqueId('t');
  await log.append(tenant, [{ ...auditEvent(0, 'p9'), at: clock.now() - 2 * YEAR }, auditEvent(1, 'p9')]);
  await log.append(tenant, [auditEvent(2, 'p0')]);
  expect(await clients[1]!.lrange(auditSeqsPrefix(tenant) + 'p9', 0, -1)).toEqual(['1']);
  expect(await clients[1]!.lrange(auditSeqsPrefix(tenant) + 'p0', 0, -1)).toEqual(['2']);
});
