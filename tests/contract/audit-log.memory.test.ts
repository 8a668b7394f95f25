import { expect, test } from 'bun:test';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { MemoryAuditLog } from '../../src/adapters/memory/audit-log.memory';
import { auditClock, auditEvent, describeAuditLogContract, verifyTenant } from './audit-log.contract';

const YEAR = 365 * 86_400_000;

describeAuditLogContract('in-memory', () => {
  const clock = auditClock();
  return { log: new MemoryAuditLog({ sha256, clock, retentionMs: YEAR }), clock };
});

test('tampering with a stored record is found at its position', async () => {
  const log = new MemoryAuditLog({ sha256, clock: auditClock(), retentionMs: YEAR });
  await log.append('t', Array.from({ length: 1000 }, (_, i) => auditEvent(i)));
  log.rawRecords('t')[321]!.outcome = 'denied';
  expect(await verifyTenant(log, 't')).toMatchObject({ intact: false, firstBrokenPosition: 321 });
});
