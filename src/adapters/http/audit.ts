import type { Principal } from '../../domain/access/access';
import type { AuditEvent, AuditOutcome } from '../../domain/compliance/audit';
import type { Clock } from '../../ports/clock.port';
import type { Pseudonymizer } from '../../ports/pseudonymizer.port';
import type { AuditTrail } from '../audit/audit-trail';
import { requestIdOf, requestInfo } from './request-context';

/** Failed authentications have no tenant yet; they are chained under this reserved name. */
export const ANONYMOUS_TENANT = '_anonymous';

export interface HttpAuditDeps {
  auditTrail: AuditTrail;
  pseudonymize: Pseudonymizer;
  clock: Clock;
}

/** Staff are named; learners appear only by pseudonym, like the students they act on. */
export const actorOf = (p: Principal, pseudonymize: Pseudonymizer): string =>
  p.role === 'student' ? `student:${pseudonymize(p.tenantId, p.subject)}` : `${p.role}:${p.subject}`;

export type AuditTarget = { studentId: string } | { other: string } | null;

/** Builds the audit entry for this request from the principal the gate established. */
export function auditEntry(deps: HttpAuditDeps, request: Request, action: string, target: AuditTarget, outcome: AuditOutcome): { tenantId: string; event: AuditEvent } {
  const principal = requestInfo(request)?.principal;
  const tenantId = principal?.tenantId ?? ANONYMOUS_TENANT;
  const targetText = target === null ? null : 'studentId' in target ? deps.pseudonymize(tenantId, target.studentId) : target.other;
  return {
    tenantId,
    event: {
      actor: principal ? actorOf(principal, deps.pseudonymize) : 'anonymous',
      action,
      target: targetText,
      requestId: requestIdOf(request),
      outcome,
      at: deps.clock.now(),
    },
  };
}

/** Records and waits until the entry is in the log: for GDPR and admin actions. */
export function audit(deps: HttpAuditDeps, request: Request, action: string, target: AuditTarget, outcome: AuditOutcome): Promise<void> {
  const { tenantId, event } = auditEntry(deps, request, action, target, outcome);
  return deps.auditTrail.record(tenantId, event);
}

/** Records without holding up the response: for reads, where a lost entry must not fail the read. */
export function auditInBackground(deps: HttpAuditDeps, request: Request, action: string, target: AuditTarget, outcome: AuditOutcome): void {
  const { tenantId, event } = auditEntry(deps, request, action, target, outcome);
  deps.auditTrail.recordInBackground(tenantId, event);
}
