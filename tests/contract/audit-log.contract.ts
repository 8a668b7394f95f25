import { describe, expect, test } from 'bun:test';
import { sha256 } from '../../src/adapters/crypto/hashing';
import { verifyAuditLog, type AuditEvent } from '../../src/domain/compliance/audit';
import type { AuditLog } from '../../src/ports/audit-log.port';
import { FixedClock } from '../support/fixed-clock';
import { uniqueId } from '../support/services';

export interface AuditLogUnderTest {
  log: AuditLog;
  /** A second writer on the same data (another connection or replica), when the backend has one. */
  peer?: AuditLog;
  clock: FixedClock;
}

export const auditEvent = (i: number, target: string | null = `p${i % 5}`): AuditEvent => ({
  actor: 'admin:admin-1',
  action: 'mastery.read',
  target,
  requestId: `r${i}`,
  outcome: 'success',
  at: Date.now(),
});

/** Verifies a tenant's whole chain in pages of 7, so every verification here crosses page boundaries. */
export const verifyTenant = (log: AuditLog, tenant: string) => verifyAuditLog(log, tenant, { pageSize: 7 }, sha256);
const verify = verifyTenant;

/** The behaviour every AuditLog must have: memory and Redis. */
export function describeAuditLogContract(name: string, setup: () => AuditLogUnderTest) {
  describe(`AuditLog contract: ${name}`, () => {
    test('an empty tenant has no records and an intact (empty) chain', async () => {
      const { log } = setup();
      const tenant = uniqueId('t');
      expect(await log.list({ tenantId: tenant })).toEqual([]);
      expect(await log.chainEnds(tenant)).toEqual({ head: undefined, anchor: undefined });
      expect(await verify(log, tenant)).toMatchObject({ intact: true, length: 0, firstBrokenPosition: null });
    });

    test('appends are chained in order, across calls, and verify', async () => {
      const { log } = setup();
      const tenant = uniqueId('t');
      const first = await log.append(tenant, [auditEvent(0), auditEvent(1)]);
      const second = await log.append(tenant, [auditEvent(2)]);
      expect([...first, ...second].map((r) => r.seq)).toEqual([0, 1, 2]);
      expect(second[0]!.prevHash).toBe(first[1]!.hash);
      expect((await log.list({ tenantId: tenant })).map((r) => r.requestId)).toEqual(['r0', 'r1', 'r2']);
      expect(await verify(log, tenant)).toMatchObject({ intact: true, length: 3 });
    });

    test('list filters by target and pages by sequence', async () => {
      const { log } = setup();
      const tenant = uniqueId('t');
      await log.append(tenant, Array.from({ length: 10 }, (_, i) => auditEvent(i)));
      expect((await log.list({ tenantId: tenant, target: 'p1' })).map((r) => r.seq)).toEqual([1, 6]);
      expect((await log.list({ tenantId: tenant, fromSeq: 7, limit: 2 })).map((r) => r.seq)).toEqual([7, 8]);
    });

    test("a target's entries page by sequence: every page full but the last", async () => {
      const { log } = setup();
      const tenant = uniqueId('t');
      await log.append(tenant, Array.from({ length: 50 }, (_, i) => auditEvent(i)));
      const pages: number[][] = [];
      for (let from = 0; ; ) {
        const page = await log.list({ tenantId: tenant, target: 'p2', fromSeq: from, limit: 4 });
        pages.push(page.map((r) => r.seq));
        if (page.length < 4) break;
        from = page.at(-1)!.seq + 1;
      }
      expect(pages).toEqual([[2, 7, 12, 17], [22, 27, 32, 37], [42, 47]]);
    });

    test('the ends are the last record appended and the last removed by retention', async () => {
      const { log, clock } = setup();
      const tenant = uniqueId('t');
      const [old] = await log.append(tenant, [{ ...auditEvent(0), at: clock.now() - 400 * 86_400_000 }]);
      const [last] = await log.append(tenant, [auditEvent(1)]);
      expect(await log.chainEnds(tenant)).toEqual({ head: { seq: 1, hash: last!.hash }, anchor: { seq: 0, hash: old!.hash } });
    });

    test('tenants have separate chains', async () => {
      const { log } = setup();
      const [a, b] = [uniqueId('t'), uniqueId('t')];
      await log.append(a, [auditEvent(0)]);
      expect(await log.list({ tenantId: b })).toEqual([]);
      expect((await log.append(b, [auditEvent(1)]))[0]!.seq).toBe(0);
    });

    test('two concurrent writers keep one linear chain', async () => {
      const { log, peer } = setup();
      const other = peer ?? log;
      const tenant = uniqueId('t');
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? log : other).append(tenant, [auditEvent(i), auditEvent(i + 100)])));
      const verdict = await verify(log, tenant);
      expect(verdict).toMatchObject({ intact: true, length: 80 });
      const all = await log.list({ tenantId: tenant });
      expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i));
      // Each target's entries, as either writer lists them, are the chain's entries about it, in order.
      for (const target of ['p0', 'p1', 'p2', 'p3', 'p4']) {
        const expected = all.filter((r) => r.target === target).map((r) => r.seq);
        expect(expected.length).toBeGreaterThan(0);
        for (const reader of [log, other]) expect((await reader.list({ tenantId: tenant, target })).map((r) => r.seq)).toEqual(expected);
      }
    });

    test('records older than the retention are removed, and the chain still verifies from its anchor', async () => {
      const { log, clock } = setup();
      const tenant = uniqueId('t');
      const old = clock.now() - 400 * 86_400_000;
      await log.append(tenant, [{ ...auditEvent(0, 'p0'), at: old }, { ...auditEvent(1, 'p0'), at: old }, { ...auditEvent(2, 'p0'), at: clock.now() - 10 * 86_400_000 }]);
      await log.append(tenant, [auditEvent(3, 'p0')]);
      const records = await log.list({ tenantId: tenant });
      expect(records.map((r) => r.seq)).toEqual([2, 3]);
      // A target's page holds only retained entries, and is full while there are more.
      expect((await log.list({ tenantId: tenant, target: 'p0', limit: 1 })).map((r) => r.seq)).toEqual([2]);
      expect(await verify(log, tenant)).toMatchObject({ intact: true, length: 2 });
    });
  });
}

export const auditClock = () => new FixedClock(Date.now());
