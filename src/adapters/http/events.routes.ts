import { Elysia, t } from 'elysia';
import type { Logger } from 'pino';
import { canIngestEvents, type Principal } from '../../domain/access/access';
import { announce } from '../../domain/mastery/announce';
import { ingestEvent, type EngineDeps, type IngestOutcome } from '../../domain/mastery/engine';
import { eventTypeLabel } from '../../domain/mastery/event';
import { masteryUpdateOf, type MasteryUpdate, type MasteryUpdates } from '../../ports/mastery-updates.port';
import type { Metrics } from '../observability/metrics';
import { inOrderPerKey } from '../ingest/per-key-order';
import { audit, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { principalOf } from './request-context';
import { API_ERRORS, Int, SECURED } from './schemas';

/** Large enough for a platform's periodic flush, small enough to answer within a request timeout. */
export const MAX_BATCH = 500;
/**
 * The largest event of the documented schema (docs/events.md: every id at its 128 characters, the
 * longest time and data) is about 850 bytes of JSON; 1 KiB leaves room for formatting.
 */
export const MAX_EVENT_BYTES = 1024;
/** The events route's body limit, above BODY_LIMIT_BYTES: a full batch of the largest events, and its brackets. */
export const EVENTS_BODY_LIMIT_BYTES = MAX_BATCH * MAX_EVENT_BYTES + 1024;

export type Outcome = {
  index: number;
  event_id?: string;
  status: 'applied' | 'duplicate' | 'discarded' | 'rejected';
  reason?: 'erased' | 'no_consent';
  errors?: { field: string; code: string; message: string }[];
};

const OutcomeSchema = t.Object({
  index: Int(),
  event_id: t.Optional(t.String()),
  status: t.Union([t.Literal('applied'), t.Literal('duplicate'), t.Literal('discarded'), t.Literal('rejected')]),
  reason: t.Optional(t.Union([t.Literal('erased'), t.Literal('no_consent')], { description: 'why a valid event was discarded' })),
  errors: t.Optional(t.Array(t.Object({ field: t.String(), code: t.String(), message: t.String() }))),
});

/**
 * Events are scoped to the caller's tenant: an event without tenant_id gets it, one naming another
 * tenant is rejected (never silently moved). Anything that is not an object goes on to the
 * parser, which rejects it with its reason.
 */
function scopeToTenant(raw: unknown, principal: Principal): { ok: true; raw: unknown } | { ok: false; errors: NonNullable<Outcome['errors']> } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: true, raw };
  const tenant = (raw as { tenant_id?: unknown }).tenant_id;
  if (tenant === undefined || tenant === null) return { ok: true, raw: { ...raw, tenant_id: principal.tenantId } };
  if (tenant !== principal.tenantId) return { ok: false, errors: [{ field: 'tenant_id', code: 'forbidden', message: 'events may only be sent for your own tenant' }] };
  return { ok: true, raw };
}

function toOutcome(index: number, out: IngestOutcome): Outcome {
  switch (out.kind) {
    case 'applied':
    case 'duplicate':
      return { index, event_id: out.event.eventId, status: out.kind };
    case 'discarded':
      return { index, event_id: out.event.eventId, status: 'discarded', reason: out.reason };
    case 'rejected':
      return { index, ...(out.eventId !== undefined ? { event_id: out.eventId } : {}), status: 'rejected', errors: out.errors };
  }
}

/**
 * Applies a batch: events of one student in the order given (their state depends on it only
 * through idempotency), different students concurrently.
 */
async function ingestBatch(
  deps: { engine: EngineDeps; metrics: Metrics },
  principal: Principal,
  events: unknown[],
  source: 'http' | 'xapi',
): Promise<{ outcomes: Outcome[]; updates: MasteryUpdate[] }> {
  const outcomes: Outcome[] = new Array(events.length);
  const updates: MasteryUpdate[] = [];
  const students = events.map((raw) => String((raw as { student_id?: unknown } | null)?.student_id ?? ''));
  await inOrderPerKey(students, events.length, async (i) => {
    const scoped = scopeToTenant(events[i], principal);
    let outcome: Outcome;
    if (scoped.ok) {
      const result = await ingestEvent(deps.engine, scoped.raw);
      if (result.kind === 'applied') updates.push(masteryUpdateOf(result.event, result.mastery));
      outcome = toOutcome(i, result);
    } else outcome = { index: i, status: 'rejected', errors: scoped.errors };
    deps.metrics.eventsIngested.inc({ source, type: eventTypeLabel((events[i] as { event_type?: unknown } | null)?.event_type, 'invalid'), outcome: outcome.status });
    outcomes[i] = outcome;
    return true;
  });
  return { outcomes, updates };
}

export interface IngestDeps {
  engine: EngineDeps;
  metrics: Metrics;
  logger: Logger;
  /** Where applied events are announced (Kafka's mastery.updated), when configured. */
  updates?: MasteryUpdates;
}

interface Deps extends HttpAuditDeps, IngestDeps {}

/**
 * The HTTP ingest path (POST /events, and xAPI statements once mapped): applies the events and
 * announces what changed. The announcement is best effort, like the Kafka path's: the events are
 * applied already, and one lost here is refreshed by the topic's next update.
 */
export async function ingestAndAnnounce(deps: IngestDeps, principal: Principal, events: unknown[], source: 'http' | 'xapi'): Promise<Outcome[]> {
  const appliedFrom = deps.engine.clock.now();
  const { outcomes, updates } = await ingestBatch(deps, principal, events, source);
  if (deps.updates && updates.length > 0) {
    await announce({ store: deps.engine.store, updates: deps.updates }, updates, appliedFrom).catch((err: Error) => {
      deps.metrics.updatesPublishFailures.inc();
      deps.logger.warn({ error: err.message, updates: updates.length }, 'publishing mastery updates failed');
    });
  }
  return outcomes;
}

/** The 202 answer of an ingest (events or xAPI statements): the counts by status, then each item's outcome. */
export function ingestSummary<T extends { status: Outcome['status'] }>(results: T[]) {
  const count = (s: Outcome['status']) => results.filter((r) => r.status === s).length;
  return { received: results.length, applied: count('applied'), duplicate: count('duplicate'), discarded: count('discarded'), rejected: count('rejected'), results };
}

export const eventRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1', name: 'event-routes' }).post(
    '/events',
    async ({ body, request, set }) => {
      const principal = principalOf(request);
      if (!canIngestEvents(principal)) {
        await audit(deps, request, 'events.ingest', null, 'denied');
        throw new ApiError('forbidden', 'only services and admins may send learning events');
      }
      const events = Array.isArray(body) ? body : [body];
      const results = await ingestAndAnnounce(deps, principal, events, 'http');
      set.status = 202;
      return ingestSummary(results);
    },
    {
      parse: 'json',
      body: t.Union([t.Array(t.Unknown(), { minItems: 1, maxItems: MAX_BATCH }), t.Record(t.String(), t.Unknown())], {
        description: `one event object, or an array of at most ${MAX_BATCH}; each is validated on its own (see docs/mastery-model.md)`,
      }),
      response: {
        202: t.Object({ received: Int(), applied: Int(), duplicate: Int(), discarded: Int(), rejected: Int(), results: t.Array(OutcomeSchema) }),
        ...API_ERRORS,
      },
      detail: { tags: ['events'], summary: 'Ingest one learning event or a batch (idempotent by event_id)', ...SECURED },
    },
  );
