import { Elysia, t, type Static } from 'elysia';
import type { Principal } from '../../domain/access/access';
import { verifyAuditLog, type AuditRecord, type Sha256, type VerifyPoint } from '../../domain/compliance/audit';
import { isoDay } from '../../domain/mastery/topic-state';
import { consentView, eraseStudent, exportStudent, getConsent, setConsent, type ComplianceDeps, type ConsentView } from '../../domain/compliance/compliance';
import { audit, auditInBackground, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { studentMasteryWire } from './mastery.routes';
import { RecommendationRecordSchema, recommendationRecordWire } from './recommendations.routes';
import { principalOf } from './request-context';
import { API_ERRORS, ComponentsSchema, Id, Int, QueryInt, SECURED, StudentMasterySchema } from './schemas';

export interface ComplianceRouteDeps extends HttpAuditDeps {
  compliance: ComplianceDeps;
  sha256: Sha256;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Data subjects act on their own data; admins on anyone's in their tenant; nobody else. */
async function requireSelfOrAdmin(deps: ComplianceRouteDeps, request: Request, action: string, studentId: string): Promise<Principal> {
  const principal = principalOf(request);
  if (principal.role === 'admin' || (principal.role === 'student' && principal.subject === studentId)) return principal;
  await audit(deps, request, action, { studentId }, 'denied');
  throw new ApiError('forbidden', 'only the student themselves or an admin may do this');
}

async function requireAdmin(deps: ComplianceRouteDeps, request: Request, action: string): Promise<Principal> {
  const principal = principalOf(request);
  if (principal.role === 'admin') return principal;
  await audit(deps, request, action, null, 'denied');
  throw new ApiError('forbidden', 'only admins may read the audit log');
}

const consentWire = (c: ConsentView) => ({ analytics: c.analytics, updated_at: iso(c.updatedAt), source: c.source });
const auditWire = (r: AuditRecord) => ({
  seq: r.seq,
  at: new Date(r.at).toISOString(),
  actor: r.actor,
  action: r.action,
  target: r.target,
  request_id: r.requestId,
  outcome: r.outcome,
  prev_hash: r.prevHash,
  hash: r.hash,
});

const ConsentSchema = t.Object({ analytics: t.Boolean(), updated_at: t.Nullable(t.String({ format: 'date-time' })), source: t.Union([t.Literal('recorded'), t.Literal('default')]) });
const AuditEntrySchema = t.Object({
  seq: Int({ minimum: 0 }),
  at: t.String({ format: 'date-time' }),
  actor: t.String(),
  action: t.String(),
  target: t.Nullable(t.String()),
  request_id: t.String(),
  outcome: t.Union([t.Literal('success'), t.Literal('denied'), t.Literal('failure')]),
  prev_hash: t.String(),
  hash: t.String(),
});
/**
 * Sends the export with its audit entries a page at a time: everything else is already in memory,
 * the entries follow as they are read, so years of them cost one page. `finish` records the export
 * before the closing bracket, so a document that arrives whole was audited; a failure cuts the
 * body short (a cut-off document is not valid JSON) and is recorded as a failure, as is a client that
 * stops reading.
 */
function streamExport(doc: object, pages: AsyncIterable<AuditRecord[]>, finish: (ok: boolean) => Promise<void>): Response {
  const encoder = new TextEncoder();
  const iterator = pages[Symbol.asyncIterator]();
  let separator = '';
  // A cancel can meet a read in flight that then fails too: the export is recorded once.
  let recorded = false;
  const record = async (ok: boolean) => {
    if (recorded) return;
    recorded = true;
    await finish(ok);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`${JSON.stringify(doc).slice(0, -1)},"audit":[`));
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) {
          await record(true);
          controller.enqueue(encoder.encode(']}'));
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(separator + next.value.map((r) => JSON.stringify(auditWire(r))).join(',')));
        separator = ',';
      } catch (err) {
        controller.error(err);
        await record(false).catch(() => undefined);
      }
    },
    // The client went away half-way: part of the document left, so that is recorded too.
    async cancel() {
      await iterator.return?.();
      await record(false).catch(() => undefined);
    },
  });
  return new Response(body, { headers: { 'content-type': 'application/json;charset=utf-8' } });
}

/** Entries read per page when verifying: bounds a verification's memory, however long the chain. */
const VERIFY_PAGE = 1000;
/** A verification cursor, `seq-checked-hash`: the last link checked, so the next call goes on from it. */
const CURSOR = /^(\d{1,15})-(\d{1,15})-([0-9a-f]{64})$/;
const cursorOf = (p: VerifyPoint): string => `${p.seq}-${p.checked}-${p.hash}`;
function pointOf(cursor: string): VerifyPoint {
  const [, seq, checked, hash] = CURSOR.exec(cursor)!;
  return { seq: Number(seq), checked: Number(checked), hash: hash! };
}

const DecayedMeanSchema = t.Object({ s: t.Number(), w: t.Number(), t: t.Number(), n: Int() });
const ServedPredictionSchema = t.Object({
  target_day: t.String({ format: 'date' }),
  topic_id: t.Nullable(t.String({ description: "null: the student's overall mean" })),
  served_at: t.String({ format: 'date-time' }),
  predicted: t.Number(),
  low: t.Number(),
  high: t.Number(),
  baselines: t.Object({ last_value: t.Number(), linear: t.Number() }),
  actual: t.Nullable(t.Number({ description: 'the mastery as of the end of the target day, once scored' })),
  scored_at: t.Nullable(t.String({ format: 'date-time' })),
});
const CachedPredictionSchema = t.Object({
  kind: t.Union([t.Literal('next_week'), t.Literal('trajectory')]),
  topic_ids: t.Nullable(t.Array(t.String())),
  as_of: t.Nullable(t.String({ format: 'date-time' })),
  horizon_days: Int({ minimum: 1 }),
  cached_at: t.String({ format: 'date-time' }),
  prediction: t.Unknown({ description: 'the document as it was served' }),
});

/** The export document; docs/export.schema.json is this schema, checked by a test. */
export const ExportSchema = t.Object(
  {
    format_version: t.String(),
    generated_at: t.String({ format: 'date-time' }),
    tenant_id: t.String(),
    student_id: t.String(),
    mastery: StudentMasterySchema,
    state: t.Record(
      t.String(),
      t.Object({
        lessons_completed: t.Array(t.String()),
        quiz: DecayedMeanSchema,
        quality: DecayedMeanSchema,
        practice_minutes: t.Number(),
        practice_sessions: Int({ minimum: 0 }),
        active_days: t.Array(t.String({ format: 'date' })),
        event_count: Int(),
        first_event_at: t.String({ format: 'date-time' }),
        last_event_at: t.String({ format: 'date-time' }),
      }),
    ),
    history: t.Array(t.Object({ topic_id: t.String(), day: t.String({ format: 'date' }), mastery_score: t.Number(), components: ComponentsSchema, at: t.String({ format: 'date-time' }) })),
    predictions: t.Array(ServedPredictionSchema),
    cached_predictions: t.Array(CachedPredictionSchema),
    consent: ConsentSchema,
    cohorts: t.Array(t.Object({ cohort_id: t.String(), name: t.String() })),
    recommendations: t.Array(RecommendationRecordSchema),
    audit: t.Array(AuditEntrySchema),
  },
  { additionalProperties: false, $id: 'https://learnflow.example/schemas/mastery-engine/export-1.0.json', title: 'Mastery Engine student data export', description: 'Everything the service holds about one student (GDPR Art. 15 and 20).' },
);

export const complianceRoutes = (deps: ComplianceRouteDeps) =>
  new Elysia({ prefix: '/api/v1/compliance', name: 'compliance-routes' })
    .get(
      '/export/:student_id',
      async ({ params, request }) => {
        const principal = await requireSelfOrAdmin(deps, request, 'gdpr.export', params.student_id);
        const ref = { tenantId: principal.tenantId, studentId: params.student_id };
        const doc = await exportStudent(deps.compliance, ref);
        const wire: Omit<Static<typeof ExportSchema>, 'audit'> = {
          format_version: doc.formatVersion,
          generated_at: new Date(doc.generatedAt).toISOString(),
          tenant_id: doc.tenantId,
          student_id: doc.studentId,
          mastery: studentMasteryWire(doc.mastery),
          state: Object.fromEntries(
            Object.entries(doc.state).map(([topic, s]) => [
              topic,
              {
                lessons_completed: s.lessons,
                quiz: s.quiz,
                quality: s.quality,
                practice_minutes: s.practiceMinutes,
                practice_sessions: s.practiceSessions ?? 0,
                active_days: s.activeDays.map(isoDay),
                event_count: s.eventCount,
                first_event_at: new Date(s.firstAt).toISOString(),
                last_event_at: new Date(s.lastAt).toISOString(),
              },
            ]),
          ),
          history: doc.history.map((h) => ({ topic_id: h.topicId, day: h.day, mastery_score: h.masteryScore, components: h.components, at: new Date(h.at).toISOString() })),
          predictions: doc.predictions.map((p) => ({
            target_day: p.targetDay,
            topic_id: p.topicId,
            served_at: new Date(p.servedAt).toISOString(),
            predicted: p.predicted,
            low: p.low,
            high: p.high,
            baselines: { last_value: p.baselines.lastValue, linear: p.baselines.linear },
            actual: p.actual ?? null,
            scored_at: p.scoredAt === undefined ? null : new Date(p.scoredAt).toISOString(),
          })),
          cached_predictions: doc.cachedPredictions.map((c) => ({
            kind: c.key.kind,
            topic_ids: c.key.topicIds ? [...c.key.topicIds] : null,
            as_of: c.key.asOf === undefined ? null : new Date(c.key.asOf).toISOString(),
            horizon_days: c.key.horizonDays,
            cached_at: new Date(c.cachedAt).toISOString(),
            prediction: c.value,
          })),
          consent: consentWire(consentView(doc.consent, deps.compliance.consentByDefault)),
          cohorts: doc.cohorts.map((c) => ({ cohort_id: c.cohortId, name: c.name })),
          recommendations: doc.recommendations.map(recommendationRecordWire),
        };
        return streamExport(wire, doc.audit, (ok) => audit(deps, request, 'gdpr.export', { studentId: params.student_id }, ok ? 'success' : 'failure'));
      },
      {
        params: t.Object({ student_id: Id }),
        response: { 200: ExportSchema, ...API_ERRORS },
        detail: { tags: ['compliance'], summary: 'Export everything held about a student (the student, or an admin)', ...SECURED },
      },
    )
    .delete(
      '/student/:student_id',
      async ({ params, request }) => {
        const principal = await requireSelfOrAdmin(deps, request, 'gdpr.erase', params.student_id);
        const ref = { tenantId: principal.tenantId, studentId: params.student_id };
        const { erasedAt } = await eraseStudent(deps.compliance, ref);
        await audit(deps, request, 'gdpr.erase', { studentId: params.student_id }, 'success');
        return { student_id: params.student_id, status: 'erased' as const, erased_at: new Date(erasedAt).toISOString() };
      },
      {
        params: t.Object({ student_id: Id }),
        response: { 200: t.Object({ student_id: t.String(), status: t.Literal('erased'), erased_at: t.String({ format: 'date-time' }) }), ...API_ERRORS },
        detail: { tags: ['compliance'], summary: 'Erase everything about a student (idempotent; the student, or an admin)', ...SECURED },
      },
    )
    .get(
      '/consent/:student_id',
      async ({ params, request }) => {
        const principal = await requireSelfOrAdmin(deps, request, 'consent.read', params.student_id);
        const consent = await getConsent(deps.compliance, { tenantId: principal.tenantId, studentId: params.student_id });
        auditInBackground(deps, request, 'consent.read', { studentId: params.student_id }, 'success');
        return consentWire(consent);
      },
      {
        params: t.Object({ student_id: Id }),
        response: { 200: ConsentSchema, ...API_ERRORS },
        detail: { tags: ['compliance'], summary: "A student's analytics consent", ...SECURED },
      },
    )
    .put(
      '/consent/:student_id',
      async ({ params, body, request }) => {
        const principal = await requireSelfOrAdmin(deps, request, 'consent.update', params.student_id);
        const consent = await setConsent(deps.compliance, { tenantId: principal.tenantId, studentId: params.student_id }, body.analytics);
        await audit(deps, request, 'consent.update', { studentId: params.student_id }, 'success');
        return consentWire(consent);
      },
      {
        params: t.Object({ student_id: Id }),
        parse: 'json',
        body: t.Object({ analytics: t.Boolean() }, { additionalProperties: false }),
        response: { 200: ConsentSchema, ...API_ERRORS },
        detail: { tags: ['compliance'], summary: 'Set analytics consent (the student, or an admin)', ...SECURED },
      },
    )
    .get(
      '/audit',
      async ({ query, request }) => {
        const principal = await requireAdmin(deps, request, 'audit.read');
        const entries = await deps.compliance.audit.list({ tenantId: principal.tenantId, fromSeq: query.from_seq ?? 0, limit: query.limit ?? 100 });
        await audit(deps, request, 'audit.read', null, 'success');
        return { entries: entries.map(auditWire), next_seq: entries.length > 0 ? entries.at(-1)!.seq + 1 : null };
      },
      {
        query: t.Object({ from_seq: t.Optional(QueryInt({ minimum: 0 })), limit: t.Optional(QueryInt({ minimum: 1, maximum: 1000 })) }),
        response: { 200: t.Object({ entries: t.Array(AuditEntrySchema), next_seq: t.Nullable(Int()) }), ...API_ERRORS },
        detail: { tags: ['compliance'], summary: "The tenant's audit log, oldest first (admins)", ...SECURED },
      },
    )
    .get(
      '/audit/verify',
      async ({ query, request }) => {
        const principal = await requireAdmin(deps, request, 'audit.verify');
        // Pending entries first, so the verdict covers everything recorded until now.
        await deps.auditTrail.flush();
        const verdict = await verifyAuditLog(
          deps.compliance.audit,
          principal.tenantId,
          { pageSize: VERIFY_PAGE, ...(query.cursor ? { from: pointOf(query.cursor) } : {}), ...(query.limit ? { limit: query.limit } : {}) },
          deps.sha256,
        );
        await audit(deps, request, 'audit.verify', null, verdict.intact ? 'success' : 'failure');
        return {
          intact: verdict.intact,
          length: verdict.length,
          checked: verdict.checked,
          first_broken_position: verdict.firstBrokenPosition,
          ...(verdict.reason ? { reason: verdict.reason } : {}),
          next_cursor: verdict.next && cursorOf(verdict.next),
        };
      },
      {
        query: t.Object({
          cursor: t.Optional(t.String({ pattern: CURSOR.source, description: "A previous call's `next_cursor`: go on from where it stopped." })),
          limit: t.Optional(QueryInt({ minimum: 1 })),
        }),
        response: {
          200: t.Object({
            intact: t.Boolean({ description: 'No break in what the run has checked (so far, while `next_cursor` is set).' }),
            length: Int({ minimum: 0 }),
            checked: Int({ minimum: 0 }),
            first_broken_position: t.Nullable(Int()),
            reason: t.Optional(t.String()),
            next_cursor: t.Nullable(t.String({ pattern: CURSOR.source })),
          }),
          ...API_ERRORS,
        },
        detail: {
          tags: ['compliance'],
          summary: "Whether the tenant's audit hash chain is intact, and where it first breaks (admins); in parts of `limit` entries from `cursor`, or whole",
          ...SECURED,
        },
      },
    );
