import { describe, expect, test } from 'bun:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createMetrics } from '../../src/adapters/observability/metrics';
import type { BreakerStatus } from '../../src/adapters/resilience/mastery-store.breaker';
import { testApp } from '../support/http';

type Operation = {
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
};

async function servedDocument() {
  const { call } = testApp();
  const res = await call('GET', '/docs/json');
  expect(res.status).toBe(200);
  return res.json as { openapi: string; paths: Record<string, Record<string, Operation>> };
}

const operations = (doc: Awaited<ReturnType<typeof servedDocument>>) =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, op })));

describe('the served OpenAPI document', () => {
  test('is valid OpenAPI 3.1 by the official schema', async () => {
    const doc = await servedDocument();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test('every operation documents its responses, the operational ones included', async () => {
    const doc = await servedDocument();
    for (const { name, op } of operations(doc)) expect([name, Object.keys(op.responses ?? {}).length > 0]).toEqual([name, true]);
    expect(Object.keys(doc.paths['/ready']!.get!.responses!)).toEqual(expect.arrayContaining(['200', '503']));
    expect(Object.keys(doc.paths['/health']!.get!.responses!)).toContain('200');
    expect(Object.keys(doc.paths['/']!.get!.responses!)).toContain('200');
    expect(Object.keys(doc.paths['/metrics']!.get!.responses!['200']!.content!)).toEqual(['text/plain']);
  });

  test("the mastery query's 200, sent as prerendered JSON, is documented with the same schema as the student mastery read's", async () => {
    const doc = await servedDocument();
    const query = doc.paths['/api/v1/mastery/query']!.post!.responses!;
    const read = doc.paths['/api/v1/students/{student_id}/mastery']!.get!.responses!;
    expect(query['200']!.content!['application/json']).toEqual(read['200']!.content!['application/json']!);
    expect(Object.keys(query).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '503']);
    expect(query['400']!.content!['application/json']).toEqual(read['400']!.content!['application/json']!);
  });

  test('every request body is required JSON with its schema', async () => {
    const doc = await servedDocument();
    const withBody = operations(doc).filter(({ method }) => method === 'post' || method === 'put');
    expect(withBody.length).toBeGreaterThan(0);
    for (const { name, op } of withBody) {
      expect([name, op.requestBody?.required, Object.keys(op.requestBody?.content ?? {})]).toEqual([name, true, ['application/json']]);
      expect(op.requestBody!.content['application/json']!.schema).toBeObject();
    }
  });

  test('whole-number query parameters are documented as whole numbers, without a string default', async () => {
    const doc = await servedDocument();
    const audit = doc.paths['/api/v1/compliance/audit']!.get!;
    for (const name of ['from_seq', 'limit']) {
      const schema = audit.parameters!.find((p) => p.name === name)!.schema;
      expect([name, schema.type, schema.multipleOf, schema.anyOf, schema.default]).toEqual([name, 'number', 1, undefined, undefined]);
    }
    expect(audit.parameters!.find((p) => p.name === 'limit')!.schema).toMatchObject({ minimum: 1, maximum: 1000 });
    // Elysia's t.Integer documents itself as "a string, default 0, or an integer": none may be left.
    for (const { name, op } of operations(doc)) {
      for (const p of op.parameters ?? []) expect([name, p.name, JSON.stringify(p.schema)]).not.toEqual([name, p.name, expect.stringContaining('"format":"integer"')]);
    }
  });

  test('the curriculum and xAPI routes are described: statuses, the If-Match header and the bodies', async () => {
    const doc = await servedDocument();
    const curriculum = doc.paths['/api/v1/curriculum']!;
    expect(Object.keys(curriculum.get!.responses!)).toEqual(expect.arrayContaining(['200', '401']));
    expect(curriculum.get!.responses!['200']!.headers?.ETag).toBeDefined();
    expect(Object.keys(curriculum.put!.responses!)).toEqual(expect.arrayContaining(['200', '400', '403', '412', '428']));
    expect(curriculum.put!.parameters!.find((p) => p.name === 'if-match')).toMatchObject({ in: 'header', required: false });
    expect(JSON.stringify(curriculum.put!.requestBody!.content['application/json']!.schema)).toContain('prerequisites');
    const xapi = doc.paths['/api/v1/xapi/statements']!.post!;
    expect(Object.keys(xapi.responses!)).toEqual(expect.arrayContaining(['202', '400', '403']));
    expect(JSON.stringify(xapi.responses!['202']!.content!['application/json'])).toContain('not_mapped');
  });

  test('304 Not Modified has no content and names the ETag header', async () => {
    const doc = await servedDocument();
    const notModified = doc.paths['/api/v1/students/{student_id}/mastery']!.get!.responses!['304']!;
    expect(notModified.content).toBeUndefined();
    expect(notModified.headers?.ETag).toBeDefined();
  });
});

describe('answers that break their own schema', () => {
  test('are a logged 500, never blamed on the request as a 400', async () => {
    // A breaker list without its counts breaks the documented /metrics/detailed answer.
    const broken = () => [{ name: 'redis-state', state: 'open' }] as unknown as BreakerStatus[];
    const { call, logs } = testApp({ metrics: createMetrics(broken) });
    const res = await call('GET', '/metrics/detailed');
    expect([res.status, res.json.error.code]).toEqual([500, 'internal_error']);
    expect(logs.some((l) => l.includes('"msg":"response breaks its schema"'))).toBe(true);
  });
});
