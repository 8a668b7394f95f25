/**
 * Every key this service writes, in one place. All of a student's keys share the hash tag
 * `{tenant/pseudonym}`, so a Lua script may touch them together and a Redis Cluster keeps them
 * in one slot. The pseudonym (a keyed hash of tenant and student id) keeps student ids out of key
 * names, which matters for the erasure record: it must outlive the data without naming the
 * student. `/` cannot occur in a tenant id (see ID_PATTERN), so tags cannot collide.
 */
export const KEY_PREFIX = 'me:';

/** A student's key tag; `pseudonym` comes from the Pseudonymizer port. */
export const studentTag = (tenantId: string, pseudonym: string): string => `{${tenantId}/${pseudonym}}`;

export const studentKeys = (tag: string) => ({
  /** hash: topic id -> `${version}|${state JSON}`, plus the '~' fields of commit.lua (consent among them) */
  topics: `${KEY_PREFIX}${tag}:topics`,
  /** hash: `${topic id}|${YYYY-MM-DD}` -> snapshot JSON */
  history: `${KEY_PREFIX}${tag}:history`,
  /** sorted set: event id scored by processing time (epoch ms) */
  events: `${KEY_PREFIX}${tag}:events`,
  /** string: epoch ms of the student's erasure; kept for the erasure retention after the data is gone */
  erased: `${KEY_PREFIX}${tag}:erased`,
  /**
   * string: `${'1' | '0'}|${updatedAt ms}`, the student's analytics consent. A grant expires with
   * the state; a withdrawal has no TTL and survives erasure: it is the student's standing "do not
   * process", and names no one (the key holds a pseudonym, the value a flag and a time).
   */
  consent: `${KEY_PREFIX}${tag}:consent`,
  /**
   * hash: request field -> `${cachedAt}|${prediction JSON}`, plus '~f' (the fingerprint the entries
   * belong to) and '~e' (the erasure time, after an erasure). TTL PREDICTION_CACHE_TTL_S.
   */
  predictions: `${KEY_PREFIX}${tag}:predictions`,
});

/** Pattern matching every key of one student (for scans in tests and audits). */
export const studentKeyPattern = (tag: string): string => `${KEY_PREFIX}${tag}:*`;

/**
 * sorted set: pseudonyms of the tenant's students erased within the erasure retention, scored by
 * their latest erasure time: one read tells the Kafka consumer which students of a batch were
 * erased while it ran. Tenant-tagged, so it is written beside the erase script (the student's slot),
 * not in it.
 */
export const studentErasuresKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:erasures`;

/** hash: cohort id -> `{name, teacherIds}` JSON, one per tenant; the students are in a set per cohort. */
export const cohortsKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:cohorts`;

/** Prefix of the per-cohort student sets (`${prefix}${cohortId}`): SADD/SREM, so removals never race a rewrite. */
export const cohortMembersPrefix = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:cohort-students:`;

/** sorted set: pseudonyms of the tenant's students erased within the erasure retention, scored by erasure time. */
export const cohortErasedKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:cohort-erased`;

/**
 * A student's recommendation keys: under the student's tag like studentKeys, so recording checks
 * the erasure marker and erasure takes them all in one script. None holds the student id.
 */
export const recommendationKeys = (tag: string) => ({
  /** string: `${generatedAt}\t${answer key}\t${recommendations JSON}`, the latest answer; expires after RECOMMENDATION_CACHE_TTL_S */
  cache: `${KEY_PREFIX}${tag}:rec-cache`,
  /** hash: recommendation id -> `${servedAt}|${recommendation JSON}`, the recommendations served */
  served: `${KEY_PREFIX}${tag}:recs`,
  /** list: `${servedAt}|${recommendation id}`, newest first: the serving order, pruned from the tail */
  order: `${KEY_PREFIX}${tag}:rec-order`,
  /** hash: recommendation id -> feedback JSON, the latest feedback on each */
  feedback: `${KEY_PREFIX}${tag}:rec-feedback`,
});

/**
 * hash of one rate-limiter key's counters, fields `${windowSeconds}:window` (current window index)
 * and `${windowSeconds}:count`. One Redis key per limiter key, so erasure is a single DEL with no
 * SCAN. No hash tag: the `rl:` segment keeps it apart from student keys, which start `me:{`.
 */
export const rateLimitKey = (key: string): string => `${KEY_PREFIX}rl:${key}`;

/** stream: the tenant's hash-chained audit log; no TTL (trimmed by age instead). */
export const auditKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:audit`;

/** string: `${seq}|${hash}` of the last audit record appended; no TTL, like the stream. */
export const auditHeadKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:audit-head`;

/** string: `${seq}|${hash}` of the last audit record removed by retention; no TTL. */
export const auditAnchorKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:audit-anchor`;

/**
 * Prefix of the per-student audit indexes: lists of the seqs of entries whose target is that
 * pseudonym, in ascending order (appended at the tail, trimmed from the head by retention). No TTL,
 * like the stream: a list holds its student's retained records' seqs and is gone with the last.
 */
export const auditSeqsPrefix = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:audit-seqs:`;

/**
 * Prefix of the per-student audit indexes written before 2026-11-26: sorted sets of seqs, read
 * until they expire (their TTL is the retention from their last append, by which time retention
 * has trimmed every entry they name); never written now. ADR 0021.
 */
export const legacyAuditIndexPrefix = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:audit-target:`;

/**
 * The prediction log is per tenant (one slot), not per student: scoring folds into the tenant's
 * sums and leaves its due index in the same atomic step, and an erasure takes the student's
 * entries out of that index in one step too. Keys name students by pseudonym only.
 */
/** hash: `${targetDay}|${topicId or '*'}` -> remembered prediction JSON, plus '~e' (erasure time) after an erasure. */
export const predictionLogKey = (tenantId: string, pseudonym: string): string => `${KEY_PREFIX}{${tenantId}}:prediction-log:${pseudonym}`;

/** sorted set: `${pseudonym}|${targetDay}|${topicId or '*'}` of unscored predictions, scored by target day (days since epoch). */
export const predictionDueKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:prediction-due`;

/** hash: `${scope}|${sum}` -> the tenant's accuracy sums for predictions of one target day; no student in it. */
export const predictionAccuracyKey = (tenantId: string, day: string): string => `${KEY_PREFIX}{${tenantId}}:prediction-accuracy:${day}`;

/**
 * sorted set: batch id -> its expiry (ms), the tenant's batches, so an erasure finds every live one;
 * members past their expiry are trimmed when a batch is created. Expires with its last batch.
 */
export const batchIndexKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:batch-index`;

/**
 * A batch's keys. They share the tag `{tenant/batch-<id>}`, so each script keeps its keys in one
 * slot of a Redis Cluster, and batches spread over slots; `batch-` cannot begin a pseudonym (hex),
 * so the tag never meets a student's. A batch id from another tenant names other keys: 404.
 */
export const batchKeys = (tenantId: string, batchId: string) => {
  const tag = `{${tenantId}/batch-${batchId}}`;
  return {
    /** hash: the record's fields, the counts, and per error code `err:<code>` (count) and `errs:<code>` (sample ids, comma-joined) */
    meta: `${KEY_PREFIX}${tag}:batch`,
    /** set: ids of the chunks counted, so a redelivered chunk is counted once */
    done: `${KEY_PREFIX}${tag}:batch-done`,
    /** list: one JSON result per student, in the order chunks were counted */
    results: `${KEY_PREFIX}${tag}:batch-results`,
    /** set: pseudonyms of students erased while the batch was live; a chunk counted later keeps neither their result nor their id */
    erased: `${KEY_PREFIX}${tag}:batch-erased`,
  };
};

/**
 * hash: `version`, `revision` (random per write), `document` (JSON), `updated_at`, `updated_by`:
 * the tenant's own curriculum, absent for a tenant on the shipped file. No TTL.
 */
export const curriculumKey = (tenantId: string): string => `${KEY_PREFIX}{${tenantId}}:curriculum`;
