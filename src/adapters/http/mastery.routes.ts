import { withHeaders } from '@elysiajs/openapi';
import { CloneType } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { canReadStudent, type Principal } from '../../domain/access/access';
import { queryMasteryAnswer, type StudentMastery, type EngineDeps } from '../../domain/mastery/engine';
import { calculateMastery, type Mastery } from '../../domain/mastery/mastery';
import type { AnswerCache } from '../../ports/answer-cache.port';
import type { CohortStore } from '../../ports/cohort-store.port';
import { auditInBackground, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { principalOf } from './request-context';
import { API_ERRORS, ComponentsSchema, Id, MasteryResult, SECURED, StudentMasterySchema } from './schemas';

const masteryWire = (m: Mastery) => ({ mastery_score: m.masteryScore, level: m.level, components: m.components, contributions: m.contributions });

export const studentMasteryWire = (m: StudentMastery) => ({
  student_id: m.studentId,
  overall: { mastery_score: m.overall.masteryScore, level: m.overall.level },
  topics: m.topics.map((topic) => ({
    topic_id: topic.topicId,
    ...masteryWire(topic),
    event_count: topic.eventCount,
    updated_at: topic.updatedAt === null ? null : new Date(topic.updatedAt).toISOString(),
  })),
});

interface Deps extends HttpAuditDeps {
  engine: EngineDeps;
  cohorts: CohortStore;
  /** The mastery reads' answers as sent, kept per student (queryMasteryAnswer). */
  masteryAnswers: AnswerCache<MasteryAnswerText>;
}

/**
 * Refuses unless the principal may read this student; the answer is the same whether the student
 * exists or not. Both outcomes are audited under `action` (what was read: `mastery.read`,
 * `prediction.read`, ...).
 */
export async function authorizeStudentRead(
  deps: HttpAuditDeps & { cohorts: CohortStore },
  request: Request,
  principal: Principal,
  studentId: string,
  action = 'mastery.read',
): Promise<void> {
  const rosters = principal.role === 'teacher' ? await deps.cohorts.list(principal.tenantId) : [];
  const allowed = canReadStudent(principal, studentId, rosters);
  auditInBackground(deps, request, action, { studentId }, allowed ? 'success' : 'denied');
  if (!allowed) throw new ApiError('forbidden', 'you may not read this student');
}

/** 400 naming the topics that are not in the curriculum. */
export const unknownTopics = (topicIds: readonly string[]): ApiError =>
  new ApiError(
    'validation_failed',
    'some topics are not in the curriculum',
    topicIds.map((id) => ({ field: 'topic_ids', code: 'unknown_value', message: `unknown topic ${id}` })),
  );

/** A mastery answer as sent: its JSON text and a weak ETag over it (equal bodies, equal tags). */
export interface MasteryAnswerText {
  json: string;
  etag: string;
}

function answerText(m: StudentMastery): MasteryAnswerText {
  const json = JSON.stringify(studentMasteryWire(m));
  return { json, etag: `W/"${new Bun.CryptoHasher('sha256').update(json).digest('base64url').slice(0, 27)}"` };
}

/**
 * A student's mastery as sent, from the answers kept while no event has changed the student
 * (queryMasteryAnswer): a read that finds one costs the store one small read instead of every
 * topic state, and neither the computation nor the serialization (nor the ETag) is repeated.
 */
async function readMastery(deps: Deps, request: Request, studentId: string, topicIds?: string[]): Promise<MasteryAnswerText> {
  const principal = principalOf(request);
  await authorizeStudentRead(deps, request, principal, studentId);
  const result = await queryMasteryAnswer(deps.engine, deps.masteryAnswers, { tenantId: principal.tenantId, studentId }, topicIds, answerText);
  if (result.kind === 'unknown_topics') throw unknownTopics(result.topicIds);
  return result.answer;
}

/** Sent as the JSON text of the wire object; typed as that object, which is what a client (the typed client included) parses out of it. */
const asSent = (answer: MasteryAnswerText, set: { headers: Record<string, string | number> }) => {
  set.headers['content-type'] = 'application/json';
  return answer.json as unknown as ReturnType<typeof studentMasteryWire>;
};

/**
 * The mastery reads' 200: documented as StudentMasterySchema, not checked by Elysia, which would
 * refuse the JSON text the routes send (one function builds it; the routes' tests read it back).
 * api-docs.ts leaves the marker out of the served document.
 */
const PrerenderedStudentMastery = t.NoValidate(CloneType(StudentMasterySchema));

const ETagHeader = t.String({ description: 'a weak tag of the body: equal bodies, equal tags' });
const TopicIds = t.Array(Id, { maxItems: 100, uniqueItems: true });

export const masteryRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1', name: 'mastery-routes' })
    .post('/mastery/calculate', ({ body }) => masteryWire(calculateMastery(body.components, deps.engine.policy.thresholds)), {
      parse: 'json',
      body: t.Object({ components: ComponentsSchema }, { additionalProperties: false }),
      response: { 200: MasteryResult, ...API_ERRORS },
      detail: { tags: ['mastery'], summary: 'Compute mastery from given components (nothing stored)', ...SECURED },
    })
    .post(
      '/mastery/query',
      async ({ body, request, set }) => asSent(await readMastery(deps, request, body.student_id, body.topic_ids), set),
      {
        parse: 'json',
        body: t.Object({ student_id: Id, topic_ids: t.Optional(TopicIds) }, { additionalProperties: false }),
        response: { 200: PrerenderedStudentMastery, ...API_ERRORS },
        detail: { tags: ['mastery'], summary: "A student's mastery per topic and overall", ...SECURED },
      },
    )
    .get(
      '/students/:student_id/mastery',
      async ({ params, query, request, set }) => {
        const topicIds = query.topic_ids?.split(',').filter((x) => x.length > 0);
        const answer = await readMastery(deps, request, params.student_id, topicIds);
        set.headers.etag = answer.etag;
        const match = request.headers.get('if-none-match');
        if (match && match.split(',').some((m) => m.trim() === answer.etag || m.trim() === '*')) {
          set.status = 304;
          return undefined;
        }
        return asSent(answer, set);
      },
      {
        params: t.Object({ student_id: Id }),
        query: t.Object({ topic_ids: t.Optional(t.String({ pattern: '^[A-Za-z0-9._:,-]{1,4000}$', description: 'comma-separated topic ids' })) }),
        headers: t.Object({ 'if-none-match': t.Optional(t.String({ description: 'an ETag from an earlier answer: 304 when the mastery is unchanged' })) }),
        response: { 200: withHeaders(PrerenderedStudentMastery, { ETag: ETagHeader }), 304: withHeaders(t.Undefined(), { ETag: ETagHeader }), ...API_ERRORS },
        detail: { tags: ['mastery'], summary: "A student's mastery (with ETag; send If-None-Match for 304)", ...SECURED },
      },
    );
