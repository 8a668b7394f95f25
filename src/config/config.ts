import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_THRESHOLDS, validateThresholds, type LevelThresholds } from '../domain/mastery';

/**
 * Every setting the service reads, with its default. This is the only module that sees the
 * environment; main.ts parses it once at start-up and hands the frozen result around.
 */
const EnvSchema = Type.Object({
  APP_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], { default: 'development' }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 8005, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
  STATE_BACKEND: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://' }),
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ default: 500, minimum: 10, maximum: 60_000 }),
  STATE_TTL_DAYS: Type.Integer({ default: 90, minimum: 1, maximum: 3650 }),
  IDEMPOTENCY_RETENTION_DAYS: Type.Integer({ default: 7, minimum: 1, maximum: 365 }),
  CURRICULUM_FILE: Type.String({ default: 'data/curriculum.json', minLength: 1 }),
  CONSISTENCY_WINDOW_DAYS: Type.Integer({ default: 14, minimum: 1, maximum: 365 }),
  RECENCY_HALF_LIFE_DAYS: Type.Number({ default: 14, exclusiveMinimum: 0, maximum: 3650 }),
  LEVEL_THRESHOLDS: Type.String({ default: DEFAULT_THRESHOLDS.join(',') }),
  BREAKER_TIMEOUT_MS: Type.Integer({ default: 1000, minimum: 10, maximum: 60_000 }),
  BREAKER_RESET_MS: Type.Integer({ default: 5000, minimum: 100, maximum: 600_000 }),
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
    readonly redisCommandTimeoutMs: number;
    readonly ttlDays: number;
    readonly idempotencyRetentionDays: number;
  };
  readonly model: {
    readonly curriculumFile: string;
    readonly consistencyWindowDays: number;
    readonly recencyHalfLifeDays: number;
    readonly thresholds: LevelThresholds;
  };
  readonly breaker: { readonly timeoutMs: number; readonly resetMs: number };
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

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
  const errors = [...Value.Errors(EnvSchema, value)].map((e) => `${e.path.slice(1)}: ${e.message} (got ${JSON.stringify(e.value)})`);
  const thresholds = String((value as Env).LEVEL_THRESHOLDS ?? '')
    .split(',')
    .map((x) => Number(x.trim()));
  const thresholdError = validateThresholds(thresholds);
  if (thresholdError) errors.push(`LEVEL_THRESHOLDS: ${thresholdError}`);
  const e = value as Env;
  if (errors.length === 0 && e.IDEMPOTENCY_RETENTION_DAYS > e.STATE_TTL_DAYS) {
    errors.push('IDEMPOTENCY_RETENTION_DAYS: must not exceed STATE_TTL_DAYS');
  }
  if (errors.length > 0) return { ok: false, errors };

  const config: Config = {
    appEnv: e.APP_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    state: {
      backend: e.STATE_BACKEND,
      redisUrl: e.REDIS_URL,
      redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      ttlDays: e.STATE_TTL_DAYS,
      idempotencyRetentionDays: e.IDEMPOTENCY_RETENTION_DAYS,
    },
    model: {
      curriculumFile: e.CURRICULUM_FILE,
      consistencyWindowDays: e.CONSISTENCY_WINDOW_DAYS,
      recencyHalfLifeDays: e.RECENCY_HALF_LIFE_DAYS,
      thresholds: thresholds as unknown as LevelThresholds,
    },
    breaker: { timeoutMs: e.BREAKER_TIMEOUT_MS, resetMs: e.BREAKER_RESET_MS },
  };
  return { ok: true, config: deepFreeze(config) };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
