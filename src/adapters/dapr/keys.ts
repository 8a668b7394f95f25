/**
 * Every key the Dapr adapters write, in one place. The state component adds its own prefix (by
 * default the app id, `mastery-engine||`), so these never meet keys of STATE_BACKEND=redis or of
 * other apps. Students are named by pseudonym only: an erasure record outlives the data without
 * naming anyone. `/` cannot occur in a tenant id (ID_PATTERN), so keys cannot collide.
 */
export const studentDaprKeys = (tenantId: string, pseudonym: string) => ({
  /** the student's state, history, idempotency records, consent copy and erasure record (mastery store) */
  doc: `student:${tenantId}/${pseudonym}`,
  /** sealed daily snapshots of one month (`YYYY-MM`), or an erasure's tombstone: named in the student document */
  historyMonth: (month: string) => `history:${tenantId}/${pseudonym}:${month}`,
  /** the student's consent decision: a withdrawal without TTL, a grant for the state TTL */
  consent: `consent:${tenantId}/${pseudonym}`,
  /** cached predictions, their fingerprint and an erasure time */
  predictions: `predictions:${tenantId}/${pseudonym}`,
  /** served recommendations, feedback, the latest answer and an erasure time */
  recommendations: `recommendations:${tenantId}/${pseudonym}`,
});

/** the tenant's cohorts and its recently erased students (pseudonyms) */
export const cohortsDaprKey = (tenantId: string): string => `cohorts:${tenantId}`;

/** one rate-limiter key's windows */
export const rateLimitDaprKey = (key: string): string => `rate:${key}`;

/** the tenant's audit chain: head, anchor, the sealed pages' summaries and the open page of records; no TTL */
export const auditDaprKey = (tenantId: string): string => `audit:${tenantId}`;

/** one sealed page of the tenant's audit records, written once and never changed */
export const auditPageDaprKey = (tenantId: string, page: number): string => `audit:${tenantId}:page:${page}`;

/** the tenant's prediction log: entries per pseudonym, per-day accuracy sums, recent erasures */
export const predictionLogDaprKey = (tenantId: string): string => `prediction-log:${tenantId}`;

/** the tenant's current curriculum version and revision: what replicas poll */
export const curriculumRevisionDaprKey = (tenantId: string): string => `curriculum:${tenantId}`;

/** one written curriculum, under its revision (never rewritten: a new write is a new revision) */
export const curriculumDocumentDaprKey = (tenantId: string, revision: string): string => `curriculum:${tenantId}:${revision}`;

/** the tenant's batches, each with its expiry, so an erasure finds every live one; expires with the last */
export const batchIndexDaprKey = (tenantId: string): string => `batch-index:${tenantId}`;

/** a batch: its record, counts and the counted chunks (with each one's number of results) in counting order */
export const batchDaprKey = (tenantId: string, batchId: string): string => `batch:${tenantId}/${batchId}`;

/** one counted chunk's outcome (its results and failures), written once; `/` cannot occur in an id, so it never meets a batch key */
export const batchChunkDaprKey = (tenantId: string, batchId: string, chunkId: number): string => `batch-chunk:${tenantId}/${batchId}/${chunkId}`;
