/** A class or group: the teachers who teach it and the students in it. */
export interface Cohort {
  tenantId: string;
  cohortId: string;
  name: string;
  teacherIds: string[];
  studentIds: string[];
}

/** The most members a cohort may list: a cohort is a class, and a bound keeps a roster read cheap. */
export const MAX_COHORT_MEMBERS = 5000;
