import { afterAll, beforeAll } from 'bun:test';
import type { Cluster } from 'ioredis';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { RedisAuditLog } from '../../src/adapters/redis/audit-log.redis';
import { clusterClients } from '../support/redis-cluster';
import { auditClock, describeAuditLogContract } from './audit-log.contract';

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
