import { withHeaders } from '@elysiajs/openapi';
import { Elysia, t } from 'elysia';
import { canManageCurriculum } from '../../domain/access/access';
import { replaceCurriculum, type CurriculumAdminDeps, type Recalculation } from '../../domain/curriculum/curriculum-admin';
import { documentOf, MAX_IRI_LENGTH } from '../../domain/mastery/curriculum';
import type { TenantCurriculum } from '../../ports/curriculum-source.port';
import { actorOf, audit, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { principalOf } from './request-context';
import { API_ERRORS, ErrorSchema, Id, Int, SECURED } from './schemas';

/** Where the batch recalculation is asked for (the batch API): the answer to a lesson change points there. */
export const BATCH_RECALCULATION_PATH = '/api/v1/batch/mastery';

const TopicSchema = t.Object(
  {
    topic_id: Id,
    title: t.Optional(t.String({ minLength: 1, maxLength: 200, description: 'shown to people; the topic id when left out' })),
    lessons: t.Array(Id, { minItems: 1, maxItems: 1000, description: 'the lessons that make up the topic (the denominator of completion), each once' }),
    prerequisites: t.Optional(t.Array(Id, { maxItems: 100, description: 'topic ids learnt before this one; no cycles' })),
  },
  { additionalProperties: false },
);
const ActivitySchema = t.Object(
  {
    iri: t.String({ minLength: 3, maxLength: MAX_IRI_LENGTH, description: 'an xAPI activity id' }),
    topic_id: Id,
    lesson_id: t.Optional(Id),
  },
  { additionalProperties: false, description: 'an xAPI activity the default /topics/{topic_id}[/lessons/{lesson_id}] form cannot name' },
);
const Topics = t.Array(TopicSchema, { minItems: 1, maxItems: 1000 });
const Activities = t.Array(ActivitySchema, { maxItems: 10_000, description: 'the optional xAPI mapping table (docs/xapi.md)' });

const CurriculumSchema = t.Object({
  version: Int({ minimum: 0 }),
  source: t.Union([t.Literal('default'), t.Literal('tenant')], { description: "'default': the shipped file (version 0); 'tenant': stored through PUT" }),
  updated_at: t.Nullable(t.String({ format: 'date-time' })),
  topics: t.Array(t.Object({ topic_id: t.String(), title: t.String(), lessons: t.Array(t.String()), prerequisites: t.Array(t.String()) })),
  activities: t.Array(t.Object({ iri: t.String(), topic_id: t.String(), lesson_id: t.Optional(t.String()) })),
});

const RecalculationSchema = t.Object({
  needed: t.Boolean(),
  reason: t.String(),
  topics: t.Array(t.Object({ topic_id: t.String(), lessons_added: t.Array(t.String()), lessons_removed: t.Array(t.String()) })),
  student_ids: t.Array(t.String(), { description: "students of the tenant's cohorts with state in a changed topic" }),
  truncated: t.Boolean({ description: 'more students were affected than listed (at most 10,000)' }),
  requests: t.Array(
    t.Object({
      method: t.Literal('POST'),
      path: t.String(),
      body: t.Object({ student_ids: t.Array(t.String()), topic_ids: t.Array(t.String()) }),
    }),
    { description: 'the batch recalculation requests to send, as they are; empty when there is nothing to recalculate' },
  ),
});

const ETagHeader = t.String({ description: 'the version in quotes: send it back in If-Match' });

const wire = (c: TenantCurriculum) => {
  const doc = documentOf(c.curriculum);
  return {
    version: c.version,
    source: c.version === 0 ? ('default' as const) : ('tenant' as const),
    updated_at: c.updatedAt === undefined ? null : new Date(c.updatedAt).toISOString(),
    topics: doc.topics,
    activities: doc.activities ?? [],
  };
};

const recalculationWire = (r: Recalculation) => {
  const topicIds = r.topics.map((t) => t.topicId);
  return {
    needed: r.topics.length > 0,
    reason:
      r.topics.length === 0
        ? 'no topic in use changed its lessons: recorded history stays true'
        : `the lessons of ${r.topics.length} topic(s) changed: mastery now counts the new lessons, but the day snapshots behind history, predictions and analytics were computed with the old ones until a batch recalculation (POST ${BATCH_RECALCULATION_PATH}) rewrites them. Students are found through the tenant's cohorts; others with state in these topics can be sent by id the same way.`,
    topics: r.topics.map((t) => ({ topic_id: t.topicId, lessons_added: t.lessonsAdded, lessons_removed: t.lessonsRemoved })),
    student_ids: r.studentIds,
    truncated: r.truncated,
    requests: r.studentIds.length === 0 ? [] : [{ method: 'POST' as const, path: BATCH_RECALCULATION_PATH, body: { student_ids: r.studentIds, topic_ids: topicIds } }],
  };
};

/** `"3"`, `W/"3"` or `3`: the version a client read; anything else is not one of our tags. */
function versionOfTag(tag: string): number | undefined {
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(tag.trim());
  return m ? Number(m[1]) : undefined;
}

/** The version the writer read: If-Match, or the body's `version`; they must agree when both are given. */
function expectedVersionOf(ifMatch: string | undefined, bodyVersion: number | undefined): number {
  const fromHeader = ifMatch === undefined ? undefined : versionOfTag(ifMatch);
  if (ifMatch !== undefined && fromHeader === undefined) {
    throw new ApiError('validation_failed', 'If-Match must be the ETag of GET /api/v1/curriculum', [{ field: 'If-Match', code: 'invalid_format', message: 'expected a version tag such as "3"' }]);
  }
  if (fromHeader !== undefined && bodyVersion !== undefined && fromHeader !== bodyVersion) {
    throw new ApiError('validation_failed', 'If-Match and version name different versions', [{ field: 'version', code: 'mismatch', message: `If-Match names ${fromHeader}, version ${bodyVersion}` }]);
  }
  const expected = fromHeader ?? bodyVersion;
  if (expected === undefined) {
    throw new ApiError('precondition_required', 'send If-Match (the ETag of GET /api/v1/curriculum) or the version you edited, so no one else’s change is overwritten', [
      { field: 'If-Match', code: 'required', message: 'If-Match or version is required' },
    ]);
  }
  return expected;
}

interface Deps extends HttpAuditDeps {
  curriculum: CurriculumAdminDeps;
}

/**
 * The tenant's curriculum: everyone signed in may read it (dashboards show topic titles), admins
 * replace it. A replacement is a compare-and-set on the version (If-Match), audited either way.
 */
export const curriculumRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1', name: 'curriculum-routes' })
    .get(
      '/curriculum',
      async ({ request, set }) => {
        const current = await deps.curriculum.curricula.forTenant(principalOf(request).tenantId);
        set.headers.etag = `"${current.version}"`;
        return wire(current);
      },
      {
        response: { 200: withHeaders(CurriculumSchema, { ETag: ETagHeader }), ...API_ERRORS },
        detail: { tags: ['curriculum'], summary: "The tenant's curriculum: topics, lessons, prerequisites and the xAPI mapping table (any role)", ...SECURED },
      },
    )
    .put(
      '/curriculum',
      async ({ body, headers, request, set }) => {
        const principal = principalOf(request);
        if (!canManageCurriculum(principal)) {
          await audit(deps, request, 'curriculum.replace', null, 'denied');
          throw new ApiError('forbidden', 'only admins replace the curriculum');
        }
        const expected = expectedVersionOf(headers['if-match'], body.version);
        const result = await replaceCurriculum(deps.curriculum, principal.tenantId, expected, body, actorOf(principal, deps.pseudonymize));
        switch (result.kind) {
          case 'invalid':
            await audit(deps, request, 'curriculum.replace', { other: `curriculum:v${expected}` }, 'failure');
            throw new ApiError('validation_failed', `the curriculum has ${result.problems.length} problem(s); nothing was stored`, result.problems.map((p) => ({ field: p.field || 'topics', code: 'invalid', message: p.message })));
          case 'stale':
            await audit(deps, request, 'curriculum.replace', { other: `curriculum:v${expected}` }, 'failure');
            throw new ApiError('precondition_failed', `version ${expected} is not the current one (${result.currentVersion}); read it again and reapply your change`, [{ field: 'If-Match', code: 'stale', message: `the current version is ${result.currentVersion}` }], { etag: `"${result.currentVersion}"` });
          case 'replaced':
            await audit(deps, request, 'curriculum.replace', { other: `curriculum:v${result.version}` }, 'success');
            set.headers.etag = `"${result.version}"`;
            return { ...wire({ version: result.version, curriculum: result.curriculum, updatedAt: result.updatedAt }), recalculation: recalculationWire(result.recalculation) };
        }
      },
      {
        parse: 'json',
        headers: t.Object({ 'if-match': t.Optional(t.String({ description: 'the ETag of the version edited ("0" for the shipped file); 412 when another is current' })) }),
        body: t.Object(
          {
            version: t.Optional(Int({ minimum: 0 })),
            description: t.Optional(t.String({ maxLength: 2000 })),
            topics: Topics,
            activities: t.Optional(Activities),
          },
          { additionalProperties: false, description: 'the whole curriculum; `version` is the one edited, like If-Match' },
        ),
        response: {
          200: withHeaders(t.Composite([CurriculumSchema, t.Object({ recalculation: RecalculationSchema })]), { ETag: ETagHeader }),
          412: ErrorSchema,
          428: ErrorSchema,
          ...API_ERRORS,
        },
        detail: { tags: ['curriculum'], summary: "Replace the tenant's curriculum (admins; If-Match on the version)", ...SECURED },
      },
    );
