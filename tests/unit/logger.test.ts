import { describe, expect, test } from 'bun:test';
import { censorCredentials, createLogger } from '../../src/adapters/observability/logger';

/** A destination that keeps what it is given, one parsed JSON object per line. */
function sink() {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)) };
}

describe('createLogger', () => {
  test('writes each line to the destination it is given, with the service name and the level asked', () => {
    const out = sink();
    const log = createLogger('info', { replica: 'r1' }, out);
    log.debug('not at info');
    log.info({ route: '/api/v1/mastery/query', status: 200 }, 'request');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({ service: 'mastery-engine', replica: 'r1', route: '/api/v1/mastery/query', status: 200, msg: 'request' });
  });

  test('redacts credentials at the top level and one level down', () => {
    const out = sink();
    createLogger('info', {}, out).warn({ token: 't0ken', headers: { authorization: 'Bearer abc' }, upstream: { password: 'hunter2', secret: 's' } }, 'oops');
    const line = out.lines[0]!;
    expect(line.token).toBe('[redacted]');
    expect(line.headers).toEqual({ authorization: '[redacted]' });
    expect(line.upstream).toEqual({ password: '[redacted]', secret: '[redacted]' });
    expect(JSON.stringify(out.lines)).not.toMatch(/t0ken|abc|hunter2/);
  });

  test('censors req.headers.authorization, copies only what it censors and never changes the object logged', () => {
    const out = sink();
    const logged = { req: { headers: { authorization: 'Bearer abc', accept: 'json' }, url: '/x' }, n: 1 };
    const before = JSON.stringify(logged);
    createLogger('info', {}, out).info(logged, 'request');
    expect(out.lines[0]!.req).toEqual({ headers: { authorization: '[redacted]', accept: 'json' }, url: '/x' });
    expect(JSON.stringify(logged)).toBe(before);
    const clean = { route: '/a', status: 200, nested: { ok: true } };
    expect(censorCredentials(clean)).toBe(clean);
  });

  test('an error logged keeps its message and stack', () => {
    const out = sink();
    createLogger('info', {}, out).error({ err: new Error('boom') }, 'failed');
    expect(out.lines[0]!.err).toMatchObject({ type: 'Error', message: 'boom' });
  });
});
