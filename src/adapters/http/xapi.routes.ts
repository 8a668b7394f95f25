import { Elysia, t } from 'elysia';
import { canIngestEvents } from '../../domain/access/access';
import { mapStatement, statementErrors, XAPI_VERSION, type XapiSettings } from '../../domain/xapi/statement';
import { audit, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { ingestAndAnnounce, ingestSummary, type IngestDeps, type Outcome } from './events.routes';
import { principalOf } from './request-context';
import { API_ERRORS, Int, SECURED } from './schemas';

/** As many statements as events in one POST /events: the same work per request. */
export const MAX_STATEMENTS = 500;
/** Statements carry context and definitions our envelope does not: 4 KiB each leaves room for an LMS's usual ones. */
export const XAPI_BODY_LIMIT_BYTES = MAX_STATEMENTS * 4096 + 1024;

type StatementOutcome = {
  index: number;
  statement_id?: string;
  event_type?: string;
  status: Outcome['status'];
  reason?: 'erased' | 'no_consent' | 'not_mapped';
  message?: string;
  errors?: { field: string; code: string; message: string }[];
};

const StatementOutcomeSchema = t.Object({
  index: Int(),
  statement_id: t.Optional(t.String({ description: 'the statement id, which is the event id' })),
  event_type: t.Optional(t.String({ description: 'the event the statement became' })),
  status: t.Union([t.Literal('applied'), t.Literal('duplicate'), t.Literal('discarded'), t.Literal('rejected')]),
  reason: t.Optional(t.Union([t.Literal('erased'), t.Literal('no_consent'), t.Literal('not_mapped')], { description: 'why a valid statement was discarded' })),
  message: t.Optional(t.String()),
  errors: t.Optional(t.Array(t.Object({ field: t.String({ description: 'in the statement’s terms' }), code: t.String(), message: t.String() }))),
});

/**
 * Documents the statement fields read. Nothing here is enforced: each statement is checked on its
 * own by the mapping, so one bad statement (even one that is not an object) never fails the others.
 */
const StatementSchema = t.Object(
  {
    id: t.Optional(t.Unknown({ description: 'required: a UUID, which becomes event_id (resending is idempotent)' })),
    actor: t.Optional(t.Unknown({ description: 'required: an Agent with account.name, the student id' })),
    verb: t.Optional(t.Unknown({ description: 'required: verb.id, one of completed, passed, failed, scored, experienced, or the code-quality verb' })),
    object: t.Optional(t.Unknown({ description: 'required: an Activity whose id ends in /topics/{topic_id}[/lessons/{lesson_id}] or is in the curriculum’s activities table' })),
    result: t.Optional(t.Unknown({ description: 'score (scaled, or raw/min/max), duration, extensions' })),
    timestamp: t.Optional(t.Unknown({ description: 'becomes occurred_at (stored when absent)' })),
    version: t.Optional(t.Unknown({ description: '1.0.x or 2.0.x' })),
  },
  { additionalProperties: true, description: 'an xAPI 1.0.3 or 2.0 statement (docs/xapi.md)' },
);

interface Deps extends HttpAuditDeps, IngestDeps {
  xapi: XapiSettings;
}

/**
 * xAPI in: each statement mapped to a learning event (src/domain/xapi) and applied through the
 * same path as POST /events, with an outcome per statement. Not an LRS: statements are not stored
 * or served back, only what they say about mastery is kept.
 */
export const xapiRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1/xapi', name: 'xapi-routes' }).post(
    '/statements',
    async ({ body, headers, request, set }) => {
      const principal = principalOf(request);
      if (!canIngestEvents(principal)) {
        await audit(deps, request, 'xapi.ingest', null, 'denied');
        throw new ApiError('forbidden', 'only services and admins may send xAPI statements');
      }
      const version = headers['x-experience-api-version'];
      if (version !== undefined && !XAPI_VERSION.test(version)) {
        throw new ApiError('validation_failed', 'unsupported xAPI version', [{ field: 'X-Experience-API-Version', code: 'unknown_value', message: 'supported: 1.0.x and 2.0.x' }]);
      }
      const statements = Array.isArray(body) ? body : [body];
      const { curriculum } = await deps.engine.curricula.forTenant(principal.tenantId);
      const results: StatementOutcome[] = new Array(statements.length);
      const mapped: { index: number; event: Record<string, unknown> }[] = [];
      statements.forEach((raw, index) => {
        const m = mapStatement(raw, curriculum, deps.xapi, principal.tenantId);
        const id = m.statementId !== undefined ? { statement_id: m.statementId } : {};
        if (m.kind === 'event') return void mapped.push({ index, event: m.event });
        results[index] = m.kind === 'rejected' ? { index, ...id, status: 'rejected', errors: m.errors } : { index, ...id, status: 'discarded', reason: 'not_mapped', message: m.message };
        deps.metrics.eventsIngested.inc({ source: 'xapi', type: 'unmapped', outcome: results[index].status });
      });
      const outcomes = await ingestAndAnnounce(deps, principal, mapped.map((m) => m.event), 'xapi');
      outcomes.forEach((o, i) => {
        const { index, event } = mapped[i]!;
        results[index] = {
          index,
          statement_id: String(event.event_id),
          event_type: String(event.event_type),
          status: o.status,
          ...(o.reason ? { reason: o.reason } : {}),
          ...(o.errors ? { errors: statementErrors(o.errors, deps.xapi) } : {}),
        };
      });
      set.status = 202;
      return ingestSummary(results);
    },
    {
      parse: 'json',
      headers: t.Object({ 'x-experience-api-version': t.Optional(t.String({ description: '1.0.x or 2.0.x when sent' })) }),
      body: t.Union([t.Array(t.Union([StatementSchema, t.Unknown()]), { minItems: 1, maxItems: MAX_STATEMENTS }), StatementSchema], {
        description: `one statement, or an array of at most ${MAX_STATEMENTS}; each is mapped and validated on its own`,
      }),
      response: {
        202: t.Object({ received: Int(), applied: Int(), duplicate: Int(), discarded: Int(), rejected: Int(), results: t.Array(StatementOutcomeSchema) }),
        ...API_ERRORS,
      },
      detail: { tags: ['events'], summary: 'Ingest xAPI statements (services, admins): mapped to learning events, idempotent by statement id', ...SECURED },
    },
  );
