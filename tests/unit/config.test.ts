import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/config';
import { parseCurriculum } from '../../src/domain/mastery/curriculum';

describe('configuration', () => {
  test('an empty environment gives the documented defaults', () => {
    const r = parseConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.port).toBe(8005);
    expect(r.config.state).toEqual({ backend: 'memory', redisUrl: 'redis://127.0.0.1:6379', redisMode: 'standalone', redisCommandTimeoutMs: 500, dapr: { httpPort: 3500, stateStore: 'statestore' }, ttlDays: 90, idempotencyRetentionDays: 7, maxEventSkewSeconds: 300 });
    expect(r.config.model.thresholds).toEqual([0.4, 0.6, 0.8]);
    expect(r.config.breaker).toEqual({ timeoutMs: 1000, resetMs: 5000 });
  });

  test('a Kafka fetch takes 1 MiB per partition unless set, and one below 64 KiB is refused', () => {
    const r = parseConfig({});
    expect(r.ok && r.config.kafka.fetchMaxBytesPerPartition).toBe(1024 * 1024);
    const set = parseConfig({ KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '4194304' });
    expect(set.ok && set.config.kafka.fetchMaxBytesPerPartition).toBe(4194304);
    const small = parseConfig({ KAFKA_FETCH_MAX_BYTES_PER_PARTITION: '1000' });
    expect(!small.ok && small.errors.map((e) => e.split(':')[0])).toEqual(['KAFKA_FETCH_MAX_BYTES_PER_PARTITION']);
  });

  test('values are converted from strings', () => {
    const r = parseConfig({ PORT: '9000', STATE_BACKEND: 'redis', LEVEL_THRESHOLDS: '0.5, 0.7, 0.9', RECENCY_HALF_LIFE_DAYS: '3.5' });
    expect(r.ok && [r.config.port, r.config.state.backend, r.config.model.thresholds, r.config.model.recencyHalfLifeDays]).toEqual([9000, 'redis', [0.5, 0.7, 0.9], 3.5]);
  });

  test('the dapr backend takes the sidecar port and the state component name', () => {
    const r = parseConfig({ STATE_BACKEND: 'dapr', DAPR_HTTP_PORT: '3501', DAPR_STATE_STORE: 'learnflow-state' });
    expect(r.ok && [r.config.state.backend, r.config.state.dapr]).toEqual(['dapr', { httpPort: 3501, stateStore: 'learnflow-state' }]);
    const bad = parseConfig({ STATE_BACKEND: 'dapr', DAPR_STATE_STORE: '../state' });
    expect(bad.ok ? [] : bad.errors.map((e) => e.split(':')[0])).toEqual(['DAPR_STATE_STORE']);
  });

  test('lists every problem at once', () => {
    const r = parseConfig({ PORT: 'eighty', STATE_BACKEND: 'mongo', STATE_TTL_DAYS: '0', LEVEL_THRESHOLDS: '0.9,0.5,0.1', REDIS_URL: 'http://x' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const names = r.errors.map((e) => e.split(':')[0]);
    for (const n of ['PORT', 'STATE_BACKEND', 'STATE_TTL_DAYS', 'LEVEL_THRESHOLDS', 'REDIS_URL']) expect(names).toContain(n);
  });

  test('idempotency records may not outlive the state they guard', () => {
    const r = parseConfig({ STATE_TTL_DAYS: '5', IDEMPOTENCY_RETENTION_DAYS: '7' });
    expect(r.ok ? [] : r.errors).toEqual(['IDEMPOTENCY_RETENTION_DAYS: must not exceed STATE_TTL_DAYS']);
  });

  test('a Redis Cluster is named by its seed nodes, and several nodes need REDIS_MODE=cluster', () => {
    const seeds = 'redis://10.0.0.1:7000, redis://10.0.0.2:7000';
    const r = parseConfig({ REDIS_MODE: 'cluster', REDIS_URL: seeds });
    expect(r.ok && r.config.state.redisMode).toBe('cluster');
    expect(parseConfig({ REDIS_URL: seeds })).toMatchObject({ ok: false, errors: [expect.stringContaining('REDIS_MODE=cluster')] });
    expect(parseConfig({ REDIS_MODE: 'cluster', REDIS_URL: 'redis://a:7000,http://b:7000' })).toMatchObject({ ok: false, errors: [expect.stringContaining('seed node')] });
  });

  test('the result is frozen', () => {
    const r = parseConfig({});
    if (!r.ok) throw new Error('defaults failed');
    expect(() => {
      (r.config.state as { ttlDays: number }).ttlDays = 1;
    }).toThrow();
  });
});

describe('production needs explicit choices', () => {
  const production = { APP_ENV: 'production', JWT_SECRET: 'j'.repeat(32), PSEUDONYM_KEY: 'p'.repeat(32) };

  test('production refuses to start without an explicit STATE_BACKEND', () => {
    const r = parseConfig(production);
    expect(r.ok ? [] : r.errors).toEqual(['STATE_BACKEND: must be set explicitly in production (redis, dapr or memory)']);
    expect(parseConfig({ ...production, STATE_BACKEND: 'redis' }).ok).toBe(true);
    expect(parseConfig({ APP_ENV: 'development' }).ok).toBe(true);
  });

  test('production requires a tenant claim in tokens; elsewhere a missing one means the default tenant', () => {
    const r = parseConfig({ ...production, STATE_BACKEND: 'redis' });
    expect(r.ok && r.config.auth.requireTenant).toBe(true);
    const dev = parseConfig({});
    expect(dev.ok && dev.config.auth.requireTenant).toBe(false);
  });

  test('JWT_MAX_AGE_S is off unless set', () => {
    const unset = parseConfig({});
    expect(unset.ok && unset.config.auth.maxAgeSeconds).toBeUndefined();
    const set = parseConfig({ JWT_MAX_AGE_S: '3600' });
    expect(set.ok && set.config.auth.maxAgeSeconds).toBe(3600);
    expect(parseConfig({ JWT_MAX_AGE_S: '0' }).ok).toBe(false);
  });
});

describe('operational and Kafka security settings', () => {
  test('METRICS_TOKEN must be at least 32 bytes, and a short one is not echoed', () => {
    const r = parseConfig({ METRICS_TOKEN: 'short-metrics-token' });
    expect(r.ok ? [] : r.errors).toEqual(['METRICS_TOKEN: must be at least 32 bytes']);
    const ok = parseConfig({ METRICS_TOKEN: 'm'.repeat(32), OPS_RATE_LIMIT_PER_MINUTE: '120' });
    expect(ok.ok && [ok.config.http.metricsToken, ok.config.http.opsRateLimitPerMinute]).toEqual(['m'.repeat(32), 120]);
  });

  test('APP_API_TOKEN must be at least 32 bytes and is never echoed; the invocation timeout has a default', () => {
    const r = parseConfig({ APP_API_TOKEN: 'short-app-token', INVOCATION_TIMEOUT_MS: '50' });
    expect(r.ok ? [] : r.errors.map((e) => e.split(':')[0])).toEqual(['INVOCATION_TIMEOUT_MS', 'APP_API_TOKEN']);
    expect(JSON.stringify(r)).not.toContain('short-app-token');
    const ok = parseConfig({ APP_API_TOKEN: 'a'.repeat(32) });
    expect(ok.ok && ok.config.invocation).toEqual({ appApiToken: 'a'.repeat(32), timeoutMs: 10_000 });
    const unset = parseConfig({});
    expect(unset.ok && unset.config.invocation.appApiToken).toBeUndefined();
  });

  test('Kafka TLS and SASL are read together; a partial SASL set is refused without echoing the password', () => {
    const r = parseConfig({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'mastery', KAFKA_SASL_PASSWORD: 'kafka-password-value' });
    expect(r.ok && [r.config.kafka.ssl, r.config.kafka.sasl]).toEqual([true, { mechanism: 'scram-sha-512', username: 'mastery', password: 'kafka-password-value' }]);
    const off = parseConfig({});
    expect(off.ok && [off.config.kafka.ssl, off.config.kafka.sasl]).toEqual([false, undefined]);
    const partial = parseConfig({ KAFKA_SASL_PASSWORD: 'kafka-password-value', KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SSL: 'maybe' });
    expect(partial.ok).toBe(false);
    if (partial.ok) return;
    expect(partial.errors.map((e) => e.split(':')[0])).toEqual(expect.arrayContaining(['KAFKA_SSL', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD']));
    expect(partial.errors.join('\n')).not.toContain('kafka-password-value');
  });
});

describe('the curriculum', () => {
  test('the shipped curriculum is valid', () => {
    const r = parseCurriculum(JSON.parse(readFileSync('data/curriculum.json', 'utf8')));
    expect(r.ok ? r.curriculum.topics.size : r.errors).toBe(12);
  });

  test('problems are listed together', () => {
    const r = parseCurriculum({
      topics: [
        { topic_id: 'a', lessons: ['x', 'x'] },
        { topic_id: 'bad id', lessons: ['y'] },
        { topic_id: 'c', lessons: ['z'], prerequisites: ['nowhere'] },
      ],
    });
    expect(r.ok ? [] : r.errors).toEqual([
      'topics[0].lessons repeats lesson "x"',
      'topics[1].topic_id must be a valid id (letters, digits and . _ : -, at most 128)',
      'topics[2].prerequisites names unknown topic "nowhere"',
    ]);
  });

  test('lesson membership is checked per topic', () => {
    const r = parseCurriculum({ topics: [{ topic_id: 'a', lessons: ['x'] }, { topic_id: 'b', lessons: ['y'] }] });
    if (!r.ok) throw new Error('invalid');
    expect([r.curriculum.hasLesson('a', 'x'), r.curriculum.hasLesson('a', 'y'), r.curriculum.hasLesson('zz', 'x')]).toEqual([true, false, false]);
  });
});
