/**
 * Every key the Dapr adapters write, in one place. The state component adds its own prefix (by
 * default the app id, `mastery-engine||`), so these never meet keys of STATE_BACKEND=redis or of
 * other apps. Students are named by pseudonym only: an erasure record outlives the data without
 * naming anyone. `/` cannot occur in a tenant id (ID_PATTERN), so keys cannot collide.
 */
export const studentDaprKeys = (tenantId: string, pseudonym: string) => ({
  /** the student's state, history, idempotency records, consent copy and erasure record (mastery store) */
  doc: `student:${tenantId}/${pseudonym}`,
  /** the student's consent decision: a withdrawal without TTL, a grant for the state TTL */
  consent: `consent:${tenantId}/${pseudonym}`,
  /** cached predictions, their fingerprint and an erasure time */
  predictions: `predictions:${tenantId}/${pseudonym}`,
  /** served recommendations, feedback, the latest answer and an erasure time */
  recommendations: `recommendations:${tenantId}/${pseudonym}`,
  /** remembered predictions awaiting or after scoring */
  predictionLog: `prediction-log:${tenantId}/${pseudonym}`,
});

/** the tenant's cohorts and its recently erased students (pseudonyms) */
export const cohortsDaprKey = (tenantId: string): string => `cohorts:${tenantId}`;

/** one rate-limiter key's windows */
export const rateLimitDaprKey = (key: string): string => `rate:${key}`;
