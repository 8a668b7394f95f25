import type { StudentRef } from '../../ports/mastery-store.port';

/**
 * Every key this service writes, in one place. All of a student's keys share the hash tag
 * `{tenant/student}`, so a Lua script may touch them together and a Redis Cluster keeps them in
 * one slot. `/` cannot occur in an id (see ID_PATTERN), so no two (tenant, student) pairs map
 * to the same tag.
 */
export const KEY_PREFIX = 'me:';

const tag = (ref: StudentRef): string => `{${ref.tenantId}/${ref.studentId}}`;

export const studentKeys = (ref: StudentRef) => ({
  /** hash: topic id -> `${version}|${state JSON}` */
  topics: `${KEY_PREFIX}${tag(ref)}:topics`,
  /** hash: `${topic id}|${YYYY-MM-DD}` -> snapshot JSON */
  history: `${KEY_PREFIX}${tag(ref)}:history`,
  /** sorted set: event id scored by processing time (epoch ms) */
  events: `${KEY_PREFIX}${tag(ref)}:events`,
});

/** Pattern matching every key of one student (for scans in tests and audits). */
export const studentKeyPattern = (ref: StudentRef): string => `${KEY_PREFIX}${tag(ref)}:*`;
