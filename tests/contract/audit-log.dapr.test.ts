import { expect, test } from 'bun:test';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { DaprAuditLog } from '../../src/adapters/dapr/audit-log.dapr';
import { auditDaprKey } from '../../src/adapters/dapr/keys';
import { forEachDaprStore } from '../support/dapr-state';
import { uniqueId } from '../support/services';
import { auditClock, auditEvent, describeAuditLogContract, verifyTenant } from './audit-log.contract';

const YEAR = 365 * 86_400_000;

forEachDaprStore((kind, dapr) => {
  describeAuditLogContract(`dapr state.${kind}`, () => {
    const clock = auditClock();
    return { log: new DaprAuditLog(dapr().client(), { sha256, clock, retentionMs: YEAR }), peer: new DaprAuditLog(dapr().client(), { sha256, clock, retentionMs: YEAR }), clock };
  });

  test(`state.${kind}: 1,000 records over sealed pages list in order, and one changed record is found at its position`, async () => {
    const client = dapr().client();
    const log = new DaprAuditLog(client, { sha256, clock: auditClock(), retentionMs: YEAR });
    const tenant = uniqueId('t');
    await log.append(tenant, Array.from({ length: 1000 }, (_, i) => auditEvent(i)));
    expect((await log.list({ tenantId: tenant })).map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect((await log.list({ tenantId: tenant, fromSeq: 700, limit: 3 })).map((r) => r.seq)).toEqual([700, 701, 702]);
    expect(await verifyTenant(log, tenant)).toMatchObject({ intact: true });
    // Tamper with the open page, which the head document holds.
    const head = (await client.get<{ open: { outcome: string }[] }>(auditDaprKey(tenant)))!;
    head.value.open[0]!.outcome = 'denied';
    expect(await client.save(auditDaprKey(tenant), head.value, { expect: { etag: head.etag } })).toBe(true);
    expect(await verifyTenant(log, tenant)).toMatchObject({ intact: false, firstBrokenPosition: 768 });
  });
});
