import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_THRESHOLDS, validateThresholds, type LevelThresholds } from '../domain/mastery/mastery';

/**
 * Every setting the service reads, with its default. This is the only module that sees the
 * environment; main.ts parses it once at start-up and hands the frozen result around.
 */
const EnvSchema = Type.Object({
  APP_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], { default: 'development' }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 8005, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  STATE_BACKEND: Type.Union([Type.Literal('memory'), Type.Literal('redis'), Type.Literal('dapr')], { default: 'memory' }),
  // Dapr's default sidecar port; the sidecar injector sets DAPR_HTTP_PORT in the app's environment.
  DAPR_HTTP_PORT: Type.Integer({ default: 3500, minimum: 1, maximum: 65535 }),
  DAPR_STATE_STORE: Type.String({ default: 'statestore', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  // A cluster is reached through seed nodes (REDIS_URL lists them, comma-separated); the client learns the rest.
  REDIS_MODE: Type.Union([Type.Literal('standalone'), Type.Literal('cluster')], { default: 'standalone' }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ default: 500, minimum: 10, maximum: 60_000 }),
  STATE_TTL_DAYS: Type.Integer({ default: 90, minimum: 1, maximum: 3650 }),
  IDEMPOTENCY_RETENTION_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
  // Producers' clocks drift; an event further ahead than this would move a topic's time reference.
  MAX_EVENT_SKEW_S: Type.Integer({ default: 300, minimum: 0, maximum: 86_400 }),
  CURRICULUM_FILE: Type.String({ default: 'data/curriculum.json', minLength: 1 }),
  // How stale a replica's copy of a tenant's curriculum may be: the issue allows 5 s; 1 s costs one HGET per tenant and second.
  CURRICULUM_REFRESH_MS: Type.Integer({ default: 1000, minimum: 50, maximum: 5000 }),
  // xAPI has no standard verb for a code review's quality; platforms name their own.
  XAPI_CODE_QUALITY_VERB: Type.String({ default: 'https://learnflow.example/xapi/verbs/code-assessed', pattern: '^[A-Za-z][A-Za-z0-9+.-]*:\\S+$' }),
  XAPI_CODE_QUALITY_EXTENSION: Type.String({ default: 'https://learnflow.example/xapi/extensions/code-quality', pattern: '^[A-Za-z][A-Za-z0-9+.-]*:\\S+$' }),
  CONSISTENCY_WINDOW_DAYS: Type.Integer({ default: 14, minimum: 1, maximum: 365 }),
  RECENCY_HALF_LIFE_DAYS: Type.Number({ default: 14, exclusiveMinimum: 0, maximum: 3650 }),
  LEVEL_THRESHOLDS: Type.String({ default: DEFAULT_THRESHOLDS.join(',') }),
  // 0.7 sits between proficient and mastered: a component below it holds a topic back from mastery.
  RECOMMENDATION_THRESHOLD: Type.Number({ default: 0.7, exclusiveMinimum: 0, maximum: 1 }),
  // A day: the answer changes with every event anyway (its key holds the student's event count).
  RECOMMENDATION_CACHE_TTL_S: Type.Integer({ default: 86_400, minimum: 1, maximum: 604_800 }),
  // Defaults a student's own practice sessions calibrate: a lesson's review, a practice or refactor session, a scheduled session.
  RECOMMENDATION_MINUTES_REVIEW: Type.Integer({ default: 15, minimum: 1, maximum: 600 }),
  RECOMMENDATION_MINUTES_PRACTICE: Type.Integer({ default: 20, minimum: 1, maximum: 600 }),
  RECOMMENDATION_MINUTES_REFACTOR: Type.Integer({ default: 25, minimum: 1, maximum: 600 }),
  RECOMMENDATION_MINUTES_SCHEDULE: Type.Integer({ default: 15, minimum: 1, maximum: 600 }),
  BREAKER_TIMEOUT_MS: Type.Integer({ default: 1000, minimum: 10, maximum: 60_000 }),
  BREAKER_RESET_MS: Type.Integer({ default: 5000, minimum: 100, maximum: 600_000 }),
  COHORT_TTL_DAYS: Type.Integer({ default: 365, minimum: 1, maximum: 3650 }),
  // About 3 kB each for 12 topics: 12 MB per replica (ADR 0019). 0 keeps none.
  MASTERY_ANSWER_CACHE_SIZE: Type.Integer({ default: 4096, minimum: 0, maximum: 1_000_000 }),
  // The predecessor flagged students predicted below 0.5; a fall of 5 points a week or a week
  // without activity is worth a teacher's look too.
  INTERVENTION_THRESHOLD: Type.Number({ default: 0.5, minimum: 0, maximum: 1 }),
  INTERVENTION_DECLINE_PER_WEEK: Type.Number({ default: 0.05, minimum: 0, maximum: 1 }),
  INTERVENTION_INACTIVE_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
  // 0.9 is the usual spaced-repetition target: review before a tenth is forgotten.
  REVIEW_RETENTION_TARGET: Type.Number({ default: 0.9, minimum: 0.5, maximum: 0.99 }),
  // The predecessor cached predictions for an hour; an applied event retires an entry sooner.
  PREDICTION_CACHE_TTL_S: Type.Integer({ default: 3600, minimum: 1, maximum: 86_400 }),
  // Long enough to score 7-day predictions and compare a few months of weeks, short for personal data.
  PREDICTION_LOG_RETENTION_DAYS: Type.Integer({ default: 60, minimum: 1, maximum: 3650 }),
  JWT_ALGORITHM: Type.Union([Type.Literal('HS256'), Type.Literal('RS256'), Type.Literal('ES256')], { default: 'HS256' }),
  JWT_SECRET: Type.Optional(Type.String()),
  JWT_PUBLIC_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  JWT_ISSUER: Type.String({ default: 'mastery-engine', minLength: 1 }),
  JWT_AUDIENCE: Type.String({ default: 'learnflow', minLength: 1 }),
  JWT_CLOCK_TOLERANCE_S: Type.Integer({ default: 30, minimum: 0, maximum: 60 }),
  // Unset: a token is good until its exp. Set: also refused once its iat is older (and without iat).
  JWT_MAX_AGE_S: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 50, minimum: 1, maximum: 1_000_000 }),
  // Per client address and instance; the kubelet probes /ready 12 times a minute (every 5 s).
  OPS_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 60, minimum: 1, maximum: 1_000_000 }),
  METRICS_TOKEN: Type.Optional(Type.String()),
  // Dapr sends this token with every call to the app (dapr-api-token) once the sidecar has it too.
  APP_API_TOKEN: Type.Optional(Type.String()),
  // Below the 15 s a caller's sidecar commonly waits, so the caller gets our timeout, not its own.
  INVOCATION_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 120_000 }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 65_536, minimum: 1024, maximum: 10_485_760 }),
  CORS_ORIGINS: Type.String({ default: '' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 120_000 }),
  GIT_COMMIT: Type.String({ default: 'unknown' }),
  CONSENT_DEFAULT: Type.Union([Type.Literal('granted'), Type.Literal('denied')], { default: 'granted' }),
  // Five is a common minimum cell size for publishing statistics about students; below 2 a group
  // has no spread and no test can be computed.
  ANALYTICS_MIN_GROUP_SIZE: Type.Integer({ default: 5, minimum: 2, maximum: 1000 }),
  ERASURE_RETENTION_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 3650 }),
  AUDIT_RETENTION_DAYS: Type.Integer({ default: 365, minimum: 1, maximum: 3650 }),
  PSEUDONYM_KEY: Type.Optional(Type.String()),
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1 })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_BROKERS: Type.String({ default: '' }),
  KAFKA_CLIENT_ID: Type.String({ default: 'mastery-engine', minLength: 1 }),
  KAFKA_SSL: Type.Boolean({ default: false }),
  KAFKA_SASL_MECHANISM: Type.Optional(Type.Union([Type.Literal('plain'), Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')])),
  KAFKA_SASL_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_SASL_PASSWORD: Type.Optional(Type.String()),
  KAFKA_GROUP_ID: Type.String({ default: 'mastery-engine', minLength: 1 }),
  KAFKA_TOPIC_EVENTS: Type.String({ default: 'learning.events', minLength: 1 }),
  KAFKA_TOPIC_DLQ: Type.String({ default: 'mastery.dlq', minLength: 1 }),
  KAFKA_TOPIC_UPDATES: Type.String({ default: 'mastery.updated', minLength: 1 }),
  // Kafka's broker refuses sessions shorter than group.min.session.timeout.ms (6 s by default).
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 6000, maximum: 300_000 }),
  KAFKA_PARTITION_CONCURRENCY: Type.Integer({ default: 6, minimum: 1, maximum: 64 }),
  // Per partition: a replica consuming 6 partitions has 6 times as many in flight. Enough for the
  // Redis store to share its script calls among commits; more only holds more in memory. In
  // alternating runs of one process on 6 partitions (docs/benchmarks.md, Kafka section), 64 cost
  // 10% less CPU per event than 256 (31.1 against 34.4 µs; the heap's helper threads 2.3 against
  // 3.3) for 5% more events/s. (64 -> 256 had raised the rate by a fifth when the store's calls
  // were built differently.)
  KAFKA_APPLY_CONCURRENCY: Type.Integer({ default: 64, minimum: 1, maximum: 1024 }),
  // kafkajs's default. Larger batches catch up a backlog with less CPU per event (kafkajs fetches
  // again only when every partition's batch is done, and each batch ends with a thin tail, a publish
  // and a commit), but hold far more in memory: on a 300,000-event backlog 4 MiB cost 11% less CPU
  // per event and 300 MiB more peak RSS (docs/benchmarks.md, "Hot paths"), past the pod's 512 MiB.
  KAFKA_FETCH_MAX_BYTES_PER_PARTITION: Type.Integer({ default: 1024 * 1024, minimum: 64 * 1024, maximum: 64 * 1024 * 1024 }),
  KAFKA_RETRY_INITIAL_MS: Type.Integer({ default: 200, minimum: 10, maximum: 60_000 }),
  KAFKA_RETRY_MAX_MS: Type.Integer({ default: 5000, minimum: 10, maximum: 600_000 }),
  // Each attempt already includes kafkajs's own retries (about a minute while the broker is away),
  // so 5 attempts ride out a few minutes' outage before a partition stops and asks for a human.
  KAFKA_DLQ_MAX_ATTEMPTS: Type.Integer({ default: 5, minimum: 1, maximum: 1000 }),
  KAFKA_TOPIC_BATCH_PREFIX: Type.String({ default: 'mastery.batch', minLength: 1 }),
  BATCH_TTL_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
  // 500 students is a few hundred ms of work: short enough to redeliver cheaply after a crash and
  // to let a high batch overtake soon, long enough that per-chunk costs (a Kafka commit, a count) vanish.
  BATCH_CHUNK_SIZE: Type.Integer({ default: 500, minimum: 1, maximum: 5000 }),
  BATCH_CONCURRENCY: Type.Integer({ default: 4, minimum: 1, maximum: 64 }),
  BATCH_MAX_WAIT_MS: Type.Integer({ default: 60_000, minimum: 1000, maximum: 3_600_000 }),
  BATCH_PRIORITY_POLL_MS: Type.Integer({ default: 500, minimum: 50, maximum: 60_000 }),
});

type Env = Static<typeof EnvSchema>;

export interface Config {
  readonly appEnv: Env['APP_ENV'];
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly state: {
    readonly backend: Env['STATE_BACKEND'];
    readonly redisUrl: string;
    readonly redisMode: Env['REDIS_MODE'];
    readonly redisCommandTimeoutMs: number;
    /** The sidecar's HTTP port and the state component's name, for STATE_BACKEND=dapr. */
    readonly dapr: { readonly httpPort: number; readonly stateStore: string };
    readonly ttlDays: number;
    readonly idempotencyRetentionDays: number;
    readonly maxEventSkewSeconds: number;
  };
  readonly model: {
    readonly curriculumFile: string;
    readonly curriculumRefreshMs: number;
    readonly consistencyWindowDays: number;
    readonly recencyHalfLifeDays: number;
    readonly thresholds: LevelThresholds;
  };
  readonly breaker: { readonly timeoutMs: number; readonly resetMs: number };
  readonly cohortTtlDays: number;
  /** Mastery query answers kept per replica (ADR 0019); 0 computes every answer. */
  readonly masteryAnswerCacheSize: number;
  /** Groups with fewer consenting students show only their size. */
  readonly analytics: { readonly minGroupSize: number };
  readonly prediction: {
    readonly reviewRetentionTarget: number;
    readonly intervention: { readonly threshold: number; readonly declinePerWeek: number; readonly inactiveDays: number };
    readonly cacheTtlSeconds: number;
    /** Days served predictions and their accuracy sums are kept after their target day. */
    readonly logRetentionDays: number;
  };
  readonly auth: {
    readonly algorithm: Env['JWT_ALGORITHM'];
    /** HS256 secret; undefined outside production means "make a random one for this run". */
    readonly secret: string | undefined;
    readonly publicKeyFile: string | undefined;
    readonly issuer: string;
    readonly audience: string;
    readonly clockToleranceSeconds: number;
    /** Oldest `iat` accepted, in seconds; undefined means only `exp` limits a token's life. */
    readonly maxAgeSeconds: number | undefined;
    /** Production refuses tokens without a tenant claim rather than filing them under the default tenant. */
    readonly requireTenant: boolean;
  };
  readonly http: {
    readonly rateLimitPerMinute: number;
    readonly opsRateLimitPerMinute: number;
    readonly bodyLimitBytes: number;
    readonly corsOrigins: readonly string[];
    readonly shutdownTimeoutMs: number;
    /** Bearer token /metrics and /metrics/detailed ask for; undefined leaves them open. */
    readonly metricsToken: string | undefined;
  };
  readonly invocation: {
    /** What Dapr's sidecar must send in dapr-api-token; undefined accepts calls without it. */
    readonly appApiToken: string | undefined;
    readonly timeoutMs: number;
  };
  readonly commit: string;
  /** Which xAPI verb and result extension carry a code review's quality score (code.assessed). */
  readonly xapi: { readonly codeQualityVerb: string; readonly codeQualityExtension: string };
  readonly recommendation: {
    readonly threshold: number;
    readonly cacheTtlSeconds: number;
    readonly minutes: { readonly review: number; readonly practice: number; readonly refactor: number; readonly schedule: number };
  };
  readonly privacy: {
    readonly consentByDefault: boolean;
    readonly erasureRetentionDays: number;
    readonly auditRetentionDays: number;
    /** HMAC key for pseudonyms; undefined outside production means the fixed development key. */
    readonly pseudonymKey: string | undefined;
  };
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Event-driven ingest; `brokers` empty means the consumer is off. */
  readonly kafka: KafkaConfig;
  readonly batch: BatchConfig;
}

/** Batch recalculation (docs/batch.md). */
export interface BatchConfig {
  readonly ttlDays: number;
  readonly chunkSize: number;
  /** Chunks one replica processes at once. */
  readonly concurrency: number;
  /** The starvation bound: a lower priority held back this long is served alongside the higher. */
  readonly maxWaitMs: number;
  /** How often a replica reads the batch topics' lag to apply the priority rule (Kafka). */
  readonly priorityPollMs: number;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS to the brokers, verified against the system's CA store. */
  readonly ssl: boolean;
  readonly sasl: KafkaSasl | undefined;
  readonly groupId: string;
  readonly topics: { readonly events: string; readonly dlq: string; readonly updates: string };
  /** The batch topics are `${batchTopicPrefix}.high|normal|low`; their group is `${groupId}.batch`. */
  readonly batchTopicPrefix: string;
  readonly sessionTimeoutMs: number;
  readonly partitionConcurrency: number;
  readonly applyConcurrency: number;
  /** Largest fetch per partition; a fetch takes at most partitionConcurrency times this in all. */
  readonly fetchMaxBytesPerPartition: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** Failed sends of the same dead letters before their partition is paused for good. */
  readonly deadLetterMaxAttempts: number;
}

export interface KafkaSasl {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Settings whose values never appear in an error message. */
const SECRET_SETTINGS = new Set(['JWT_SECRET', 'PSEUDONYM_KEY', 'METRICS_TOKEN', 'APP_API_TOKEN', 'KAFKA_SASL_PASSWORD']);

/** Names of every setting, for documentation checks. */
export const SETTING_NAMES = Object.keys(EnvSchema.properties);

/** Parses the settings out of `env`, reporting every problem at once rather than the first. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const known: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const v = env[name];
    if (v !== undefined && v !== '') known[name] = v;
  }
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, known));
  const errors = [...Value.Errors(EnvSchema, value)].map((e) => {
    const name = e.path.slice(1);
    return `${name}: ${e.message} (got ${SECRET_SETTINGS.has(name) ? '[redacted]' : JSON.stringify(e.value)})`;
  });
  const thresholds = String((value as Env).LEVEL_THRESHOLDS ?? '')
    .split(',')
    .map((x) => Number(x.trim()));
  const thresholdError = validateThresholds(thresholds);
  if (thresholdError) errors.push(`LEVEL_THRESHOLDS: ${thresholdError}`);
  const e = value as Env;
  if (errors.length === 0 && e.IDEMPOTENCY_RETENTION_DAYS > e.STATE_TTL_DAYS) {
    errors.push('IDEMPOTENCY_RETENTION_DAYS: must not exceed STATE_TTL_DAYS');
  }
  // The in-memory backend loses every student's state on restart and is per replica: production
  // must say which one it means rather than fall into that default.
  if (errors.length === 0 && e.REDIS_MODE === 'cluster' && !e.REDIS_URL.split(',').every((u) => /^rediss?:\/\/[^,\s]+$/.test(u.trim()))) {
    errors.push('REDIS_URL: with REDIS_MODE=cluster, a comma-separated list of redis:// or rediss:// seed node URLs');
  }
  if (errors.length === 0 && e.REDIS_MODE === 'standalone' && e.REDIS_URL.includes(',')) {
    errors.push('REDIS_URL: names several nodes; set REDIS_MODE=cluster for a Redis Cluster');
  }
  if (e.APP_ENV === 'production' && !env.STATE_BACKEND) errors.push('STATE_BACKEND: must be set explicitly in production (redis, dapr or memory)');
  errors.push(...authErrors(e), ...privacyErrors(e), ...opsErrors(e), ...kafkaErrors(e));
  if (e.KAFKA_RETRY_MAX_MS < e.KAFKA_RETRY_INITIAL_MS) errors.push('KAFKA_RETRY_MAX_MS: must not be below KAFKA_RETRY_INITIAL_MS');
  if (errors.length > 0) return { ok: false, errors };

  const config: Config = {
    appEnv: e.APP_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    state: {
      backend: e.STATE_BACKEND,
      redisUrl: e.REDIS_URL,
      redisMode: e.REDIS_MODE,
      redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      dapr: { httpPort: e.DAPR_HTTP_PORT, stateStore: e.DAPR_STATE_STORE },
      ttlDays: e.STATE_TTL_DAYS,
      idempotencyRetentionDays: e.IDEMPOTENCY_RETENTION_DAYS,
      maxEventSkewSeconds: e.MAX_EVENT_SKEW_S,
    },
    model: {
      curriculumFile: e.CURRICULUM_FILE,
      curriculumRefreshMs: e.CURRICULUM_REFRESH_MS,
      consistencyWindowDays: e.CONSISTENCY_WINDOW_DAYS,
      recencyHalfLifeDays: e.RECENCY_HALF_LIFE_DAYS,
      thresholds: thresholds as unknown as LevelThresholds,
    },
    breaker: { timeoutMs: e.BREAKER_TIMEOUT_MS, resetMs: e.BREAKER_RESET_MS },
    cohortTtlDays: e.COHORT_TTL_DAYS,
    masteryAnswerCacheSize: e.MASTERY_ANSWER_CACHE_SIZE,
    analytics: { minGroupSize: e.ANALYTICS_MIN_GROUP_SIZE },
    prediction: {
      reviewRetentionTarget: e.REVIEW_RETENTION_TARGET,
      intervention: { threshold: e.INTERVENTION_THRESHOLD, declinePerWeek: e.INTERVENTION_DECLINE_PER_WEEK, inactiveDays: e.INTERVENTION_INACTIVE_DAYS },
      cacheTtlSeconds: e.PREDICTION_CACHE_TTL_S,
      logRetentionDays: e.PREDICTION_LOG_RETENTION_DAYS,
    },
    auth: {
      algorithm: e.JWT_ALGORITHM,
      secret: e.JWT_SECRET,
      publicKeyFile: e.JWT_PUBLIC_KEY_FILE,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_S,
      maxAgeSeconds: e.JWT_MAX_AGE_S,
      requireTenant: e.APP_ENV === 'production',
    },
    http: {
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      opsRateLimitPerMinute: e.OPS_RATE_LIMIT_PER_MINUTE,
      metricsToken: e.METRICS_TOKEN,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      corsOrigins: e.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter((o) => o.length > 0),
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    invocation: { appApiToken: e.APP_API_TOKEN, timeoutMs: e.INVOCATION_TIMEOUT_MS },
    commit: e.GIT_COMMIT,
    xapi: { codeQualityVerb: e.XAPI_CODE_QUALITY_VERB, codeQualityExtension: e.XAPI_CODE_QUALITY_EXTENSION },
    recommendation: {
      threshold: e.RECOMMENDATION_THRESHOLD,
      cacheTtlSeconds: e.RECOMMENDATION_CACHE_TTL_S,
      minutes: { review: e.RECOMMENDATION_MINUTES_REVIEW, practice: e.RECOMMENDATION_MINUTES_PRACTICE, refactor: e.RECOMMENDATION_MINUTES_REFACTOR, schedule: e.RECOMMENDATION_MINUTES_SCHEDULE },
    },
    privacy: {
      consentByDefault: e.CONSENT_DEFAULT === 'granted',
      erasureRetentionDays: e.ERASURE_RETENTION_DAYS,
      auditRetentionDays: e.AUDIT_RETENTION_DAYS,
      pseudonymKey: e.PSEUDONYM_KEY,
    },
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
    kafka: {
      brokers: e.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter((b) => b.length > 0),
      clientId: e.KAFKA_CLIENT_ID,
      ssl: e.KAFKA_SSL,
      sasl: e.KAFKA_SASL_MECHANISM && e.KAFKA_SASL_USERNAME && e.KAFKA_SASL_PASSWORD ? { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD } : undefined,
      groupId: e.KAFKA_GROUP_ID,
      topics: { events: e.KAFKA_TOPIC_EVENTS, dlq: e.KAFKA_TOPIC_DLQ, updates: e.KAFKA_TOPIC_UPDATES },
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
      partitionConcurrency: e.KAFKA_PARTITION_CONCURRENCY,
      applyConcurrency: e.KAFKA_APPLY_CONCURRENCY,
      fetchMaxBytesPerPartition: e.KAFKA_FETCH_MAX_BYTES_PER_PARTITION,
      retryInitialMs: e.KAFKA_RETRY_INITIAL_MS,
      retryMaxMs: e.KAFKA_RETRY_MAX_MS,
      deadLetterMaxAttempts: e.KAFKA_DLQ_MAX_ATTEMPTS,
      batchTopicPrefix: e.KAFKA_TOPIC_BATCH_PREFIX,
    },
    batch: { ttlDays: e.BATCH_TTL_DAYS, chunkSize: e.BATCH_CHUNK_SIZE, concurrency: e.BATCH_CONCURRENCY, maxWaitMs: e.BATCH_MAX_WAIT_MS, priorityPollMs: e.BATCH_PRIORITY_POLL_MS },
  };
  return { ok: true, config: deepFreeze(config) };
}

/** RFC 8725: HS256 keys must carry at least as much entropy as the hash (32 bytes). */
const MIN_SECRET_BYTES = 32;

function authErrors(e: Env): string[] {
  if (e.JWT_ALGORITHM !== 'HS256') {
    return e.JWT_PUBLIC_KEY_FILE ? [] : [`JWT_PUBLIC_KEY_FILE: required with JWT_ALGORITHM=${e.JWT_ALGORITHM}`];
  }
  if (e.JWT_SECRET === undefined) {
    return e.APP_ENV === 'production' ? ['JWT_SECRET: required in production (at least 32 bytes)'] : [];
  }
  return Buffer.byteLength(e.JWT_SECRET, 'utf8') < MIN_SECRET_BYTES ? [`JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes`] : [];
}

function privacyErrors(e: Env): string[] {
  const errors: string[] = [];
  if (e.PSEUDONYM_KEY === undefined && e.APP_ENV === 'production') errors.push(`PSEUDONYM_KEY: required in production (at least ${MIN_SECRET_BYTES} bytes)`);
  if (e.PSEUDONYM_KEY !== undefined && Buffer.byteLength(e.PSEUDONYM_KEY, 'utf8') < MIN_SECRET_BYTES) errors.push(`PSEUDONYM_KEY: must be at least ${MIN_SECRET_BYTES} bytes`);
  if (Boolean(e.TLS_CERT_FILE) !== Boolean(e.TLS_KEY_FILE)) errors.push('TLS_CERT_FILE, TLS_KEY_FILE: set both or neither');
  return errors;
}

function opsErrors(e: Env): string[] {
  const short = (name: 'METRICS_TOKEN' | 'APP_API_TOKEN') => e[name] !== undefined && Buffer.byteLength(e[name], 'utf8') < MIN_SECRET_BYTES;
  return (['METRICS_TOKEN', 'APP_API_TOKEN'] as const).filter(short).map((name) => `${name}: must be at least ${MIN_SECRET_BYTES} bytes`);
}

/** SASL needs all three settings; a partial set would connect without authenticating or fail late. */
function kafkaErrors(e: Env): string[] {
  const given = [e.KAFKA_SASL_MECHANISM, e.KAFKA_SASL_USERNAME, e.KAFKA_SASL_PASSWORD].filter((v) => v !== undefined).length;
  if (given === 0 || given === 3) return [];
  return ['KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: set all three or none'];
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
