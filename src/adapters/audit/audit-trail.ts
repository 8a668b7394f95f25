import type { Logger } from 'pino';
import type { AuditEvent } from '../../domain/compliance/audit';
import type { AuditLog } from '../../ports/audit-log.port';

interface Pending {
  event: AuditEvent;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Collects audit events and appends them per tenant in small batches, so auditing every read
 * costs one append per batch, not per request. `record` resolves once the event is in the log:
 * GDPR and admin actions await it; reads use `recordInBackground`, where a failure is logged and
 * counted instead of failing the read.
 */
export class AuditTrail {
  private readonly queues = new Map<string, Pending[]>();
  private timer: Timer | undefined;
  private inFlight = Promise.resolve();

  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
    private readonly onFailure: () => void = () => {},
    private readonly flushAfterMs = 20,
  ) {}

  record(tenantId: string, event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(tenantId) ?? [];
      queue.push({ event, resolve, reject });
      this.queues.set(tenantId, queue);
      this.timer ??= setTimeout(() => void this.flush(), this.flushAfterMs);
    });
  }

  recordInBackground(tenantId: string, event: AuditEvent): void {
    this.record(tenantId, event).catch((err: Error) => {
      this.onFailure();
      this.logger.error({ error: err.message, action: event.action }, 'audit append failed');
    });
  }

  /** Appends everything queued; batches are appended one after another, so each tenant's order holds. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.queues];
    this.queues.clear();
    this.inFlight = this.inFlight.then(() =>
      Promise.all(
        batches.map(async ([tenantId, pending]) => {
          try {
            await this.log.append(tenantId, pending.map((p) => p.event));
            pending.forEach((p) => p.resolve());
          } catch (err) {
            pending.forEach((p) => p.reject(err as Error));
          }
        }),
      ).then(() => undefined),
    );
    return this.inFlight;
  }
}
