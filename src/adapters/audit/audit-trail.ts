import type { Logger } from 'pino';
import type { AuditEvent } from '../../domain/compliance/audit';
import type { AuditLog } from '../../ports/audit-log.port';

interface Pending {
  event: AuditEvent;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Collects audit events and appends them per tenant in batches, so auditing every read costs one
 * append per batch, not per request. `record` resolves once the event is in the log: GDPR and
 * admin actions await it, so their entries are appended at once (on the next turn of the event
 * loop, with whatever else is queued) rather than after the batching window, which only read
 * entries (`recordInBackground`, where a failure is logged and counted instead of failing the
 * read) wait for. Appends run one after another, each taking everything queued when it starts, so
 * while one is in flight the next gathers the entries that arrive meanwhile.
 */
export class AuditTrail {
  private readonly queues = new Map<string, Pending[]>();
  private timer: Timer | undefined;
  private immediate = false;
  private inFlight = Promise.resolve();

  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
    private readonly onFailure: () => void = () => {},
    private readonly flushAfterMs = 20,
  ) {}

  record(tenantId: string, event: AuditEvent): Promise<void> {
    const done = this.enqueue(tenantId, event);
    if (!this.immediate) {
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        void this.flush();
      });
    }
    return done;
  }

  recordInBackground(tenantId: string, event: AuditEvent): void {
    this.enqueue(tenantId, event).catch((err: Error) => {
      this.onFailure();
      this.logger.error({ error: err.message, action: event.action }, 'audit append failed');
    });
    this.timer ??= setTimeout(() => void this.flush(), this.flushAfterMs);
  }

  private enqueue(tenantId: string, event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(tenantId) ?? [];
      queue.push({ event, resolve, reject });
      this.queues.set(tenantId, queue);
    });
  }

  /** Appends everything queued once the appends before it are done, so each tenant's order holds. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight = this.inFlight.then(() => this.appendQueued());
    return this.inFlight;
  }

  private async appendQueued(): Promise<void> {
    const batches = [...this.queues];
    this.queues.clear();
    await Promise.all(
      batches.map(async ([tenantId, pending]) => {
        try {
          await this.log.append(tenantId, pending.map((p) => p.event));
          pending.forEach((p) => p.resolve());
        } catch (err) {
          pending.forEach((p) => p.reject(err as Error));
        }
      }),
    );
  }
}
