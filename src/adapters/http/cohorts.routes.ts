import { Elysia, t } from 'elysia';
import { canManageCohorts, visibleCohorts, type Principal } from '../../domain/access/access';
import { MAX_COHORT_MEMBERS, type Cohort } from '../../domain/access/cohort';
import type { CohortStore } from '../../ports/cohort-store.port';
import { audit, type HttpAuditDeps } from './audit';
import { ApiError } from './errors';
import { principalOf } from './request-context';
import { API_ERRORS, ErrorSchema, Id, SECURED } from './schemas';

const CohortBody = {
  name: t.String({ minLength: 1, maxLength: 200 }),
  teacher_ids: t.Array(Id, { maxItems: 100, uniqueItems: true }),
  student_ids: t.Array(Id, { maxItems: MAX_COHORT_MEMBERS, uniqueItems: true }),
};
const CohortSchema = t.Object({ cohort_id: t.String(), ...CohortBody });

const wire = (c: Cohort) => ({ cohort_id: c.cohortId, name: c.name, teacher_ids: c.teacherIds, student_ids: c.studentIds });

async function requireAdmin(deps: Deps, request: Request, principal: Principal, cohortId: string): Promise<void> {
  if (canManageCohorts(principal)) return;
  await audit(deps, request, 'cohort.write', { other: `cohort:${cohortId}` }, 'denied');
  throw new ApiError('forbidden', 'only admins manage cohorts');
}

interface Deps extends HttpAuditDeps {
  cohorts: CohortStore;
}

/** Cohorts a principal cannot see answer 404, like missing ones: their ids are not disclosed. */
async function visibleCohort(store: CohortStore, principal: Principal, id: string): Promise<Cohort> {
  const cohort = await store.get(principal.tenantId, id);
  if (!cohort || visibleCohorts(principal, [cohort]).length === 0) throw new ApiError('not_found', 'no such cohort');
  return cohort;
}

/** Writes a roster, or refuses it whole when it names a student erased within the erasure retention. */
async function putRoster(deps: Deps, cohort: Cohort): Promise<void> {
  const written = await deps.cohorts.put(cohort, deps.clock.now());
  if (written.kind === 'erased_members') {
    throw new ApiError(
      'conflict',
      'student_ids names students whose data was erased within ERASURE_RETENTION_DAYS; nothing was written',
      written.studentIds.map((id) => ({ field: 'student_ids', code: 'erased', message: `${id} was erased and cannot be added back yet` })),
    );
  }
}

export const cohortRoutes = (deps: Deps) =>
  new Elysia({ prefix: '/api/v1/cohorts', name: 'cohort-routes' })
    .post(
      '',
      async ({ body, request, set }) => {
        const principal = principalOf(request);
        await requireAdmin(deps, request, principal, body.cohort_id);
        if (await deps.cohorts.get(principal.tenantId, body.cohort_id)) throw new ApiError('conflict', 'a cohort with this id exists; PUT replaces it');
        const cohort: Cohort = { tenantId: principal.tenantId, cohortId: body.cohort_id, name: body.name, teacherIds: body.teacher_ids, studentIds: body.student_ids };
        await putRoster(deps, cohort);
        await audit(deps, request, 'cohort.write', { other: `cohort:${cohort.cohortId}` }, 'success');
        set.status = 201;
        set.headers.location = `/api/v1/cohorts/${cohort.cohortId}`;
        return wire(cohort);
      },
      {
        parse: 'json',
        body: t.Object({ cohort_id: Id, ...CohortBody }, { additionalProperties: false }),
        response: { 201: CohortSchema, 409: ErrorSchema, ...API_ERRORS },
        detail: { tags: ['cohorts'], summary: 'Create a cohort (admins)', ...SECURED },
      },
    )
    .get(
      '',
      async ({ request }) => {
        const principal = principalOf(request);
        if (principal.role === 'student') throw new ApiError('forbidden', 'students do not list cohorts');
        return { cohorts: visibleCohorts(principal, await deps.cohorts.list(principal.tenantId)).map(wire) };
      },
      {
        response: { 200: t.Object({ cohorts: t.Array(CohortSchema) }), ...API_ERRORS },
        detail: { tags: ['cohorts'], summary: 'Cohorts you can see (admins: all in the tenant; teachers: those they teach)', ...SECURED },
      },
    )
    .get('/:cohort_id', async ({ params, request }) => wire(await visibleCohort(deps.cohorts, principalOf(request), params.cohort_id)), {
      params: t.Object({ cohort_id: Id }),
      response: { 200: CohortSchema, 404: ErrorSchema, ...API_ERRORS },
      detail: { tags: ['cohorts'], summary: 'One cohort', ...SECURED },
    })
    .put(
      '/:cohort_id',
      async ({ params, body, request, set }) => {
        const principal = principalOf(request);
        await requireAdmin(deps, request, principal, params.cohort_id);
        const existed = (await deps.cohorts.get(principal.tenantId, params.cohort_id)) !== undefined;
        const cohort: Cohort = { tenantId: principal.tenantId, cohortId: params.cohort_id, name: body.name, teacherIds: body.teacher_ids, studentIds: body.student_ids };
        await putRoster(deps, cohort);
        await audit(deps, request, 'cohort.write', { other: `cohort:${cohort.cohortId}` }, 'success');
        set.status = existed ? 200 : 201;
        return wire(cohort);
      },
      {
        params: t.Object({ cohort_id: Id }),
        parse: 'json',
        body: t.Object(CohortBody, { additionalProperties: false }),
        response: { 200: CohortSchema, 201: CohortSchema, 409: ErrorSchema, ...API_ERRORS },
        detail: { tags: ['cohorts'], summary: 'Create or replace a cohort (admins)', ...SECURED },
      },
    );
