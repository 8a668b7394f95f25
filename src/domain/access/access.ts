import type { Cohort } from './cohort';

/**
 * Who is asking, as established by authentication. Every request is scoped to the principal's
 * tenant, so one tenant can never name another's data.
 */
export const ROLES = ['student', 'teacher', 'admin', 'service'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  subject: string;
  role: Role;
  tenantId: string;
}

/**
 * Whether `principal` may read the student's data. A student reads only their own; a teacher
 * reads students of cohorts they teach; admins and services read their whole tenant. The answer
 * never depends on whether the student exists, so a refusal reveals nothing.
 */
export function canReadStudent(principal: Principal, studentId: string, cohorts: readonly Cohort[]): boolean {
  switch (principal.role) {
    case 'student':
      return principal.subject === studentId;
    case 'teacher':
      return cohorts.some((c) => c.teacherIds.includes(principal.subject) && c.studentIds.includes(studentId));
    case 'admin':
    case 'service':
      return true;
  }
}

/** Learning events come from the platform (services) or an operator (admins), never from learners themselves. */
export const canIngestEvents = (principal: Principal): boolean => principal.role === 'service' || principal.role === 'admin';

export const canManageCohorts = (principal: Principal): boolean => principal.role === 'admin';

/** The curriculum is the tenant's configuration: admins change it, everyone reads it. */
export const canManageCurriculum = (principal: Principal): boolean => principal.role === 'admin';

/** Admins see every cohort of their tenant, teachers the ones they teach. */
export function visibleCohorts(principal: Principal, cohorts: readonly Cohort[]): Cohort[] {
  if (principal.role === 'admin' || principal.role === 'service') return [...cohorts];
  if (principal.role === 'teacher') return cohorts.filter((c) => c.teacherIds.includes(principal.subject));
  return [];
}

/** Feedback on a recommendation comes from the people acting on it: the student it is for, or a teacher of theirs. */
export function canGiveRecommendationFeedback(principal: Principal, studentId: string, cohorts: readonly Cohort[]): boolean {
  if (principal.role === 'student') return principal.subject === studentId;
  return principal.role === 'teacher' && canReadStudent(principal, studentId, cohorts);
}

/** Whether recommendations help is a question about teaching: teachers (over their cohorts) and admins. */
export const canSeeRecommendationEffect = (principal: Principal): boolean => principal.role === 'teacher' || principal.role === 'admin';
