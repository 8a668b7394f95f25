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

/** hash: cohort id -> cohort JSON, one per tenant. */
export const cohortsKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:cohorts`;

/**
 * hash of one rate-limiter key's counters, fields `${windowSeconds}:window` (current window index)
 * and `${windowSeconds}:count`. One Redis key per limiter key, so erasure is a single DEL with no
 * SCAN. No hash tag: the `rl:` segment keeps it apart from student keys, which start `me:{`.
 */
export const rateLimitKey = (key: string): string => `${KEY_PREFIX}rl:${key}`;
