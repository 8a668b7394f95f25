import { describe, expect, setSystemTime, test } from 'bun:test';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { createAuthenticator } from '../../src/adapters/http/auth';
import { AUDIENCE, ISSUER, SECRET, testApp, token } from '../support/http';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

/** Each row: a way a request can try to get in without a valid token. Every one must answer 401. */
const attacks: [string, () => Promise<{ headers?: Record<string, string>; query?: string }>][] = [
  ['no token', async () => ({})],
  ['a non-Bearer scheme', async () => ({ headers: { authorization: `Basic ${btoa('admin:admin')}` } })],
  ['a malformed token', async () => ({ headers: { authorization: 'Bearer not-a-jwt' } })],
  ['a token that is three random segments', async () => ({ headers: { authorization: 'Bearer aaa.bbb.ccc' } })],
  [
    'alg none',
    async () => ({ headers: { authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin-1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 60 })}.` } }),
  ],
  ['the wrong key', async () => ({ headers: { authorization: `Bearer ${await token({ role: 'admin' }, new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'))}` } })],
  [
    'a flipped signature',
    async () => {
      // Flip a character inside the signature: the last one may only carry padding bits.
      const t = await token({ role: 'admin' });
      const i = t.length - 10;
      return { headers: { authorization: `Bearer ${t.slice(0, i)}${t[i] === 'A' ? 'B' : 'A'}${t.slice(i + 1)}` } };
    },
  ],
  [
    'an edited payload',
    async () => {
      const [h, , s] = (await token({ role: 'student', sub: 'student-1' })).split('.');
      return { headers: { authorization: `Bearer ${h}.${b64({ sub: 'student-1', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: nowS() + 60 })}.${s}` } };
    },
  ],
  ['an expired token', async () => ({ headers: { authorization: `Bearer ${await token({ exp: nowS() - 120 })}` } })],
  ['no exp', async () => ({ headers: { authorization: `Bearer ${await token({ exp: undefined })}` } })],
  ['no sub', async () => ({ headers: { authorization: `Bearer ${await token({ sub: undefined })}` } })],
  ['a future nbf', async () => ({ headers: { authorization: `Bearer ${await token({ nbf: nowS() + 300 })}` } })],
  ['the wrong issuer', async () => ({ headers: { authorization: `Bearer ${await token({ iss: 'someone-else' })}` } })],
  ['the wrong audience', async () => ({ headers: { authorization: `Bearer ${await token({ aud: 'another-service' })}` } })],
  ['an unknown role', async () => ({ headers: { authorization: `Bearer ${await token({ role: 'superuser' })}` } })],
  ['a subject that is not a valid id', async () => ({ headers: { authorization: `Bearer ${await token({ sub: 'x; DROP TABLE users' })}` } })],
  ['a token in the query string', async () => ({ query: `?access_token=${await token({ role: 'admin' })}` })],
  ['a token in the query string beside a valid header', async () => ({ headers: { authorization: `Bearer ${await token()}` }, query: `?token=${await token()}` })],
  ['a role asserted in a request header', async () => ({ headers: { authorization: `Bearer ${await token()}`, 'x-user-role': 'admin' } })],
  ['an HS256 token signed with the public key text (key confusion)', async () => ({ headers: { authorization: `Bearer ${await token({ role: 'admin' }, new TextEncoder().encode('-----BEGIN PUBLIC KEY-----'))}` } })],
];

describe('authentication', () => {
  test.each(attacks)('refuses %s with 401 and WWW-Authenticate', async (_name, build) => {
    const { call } = testApp();
    const { headers, query } = await build();
    const res = await call('GET', `/api/v1/students/student-1/mastery${query ?? ''}`, { headers: headers ?? {} });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.json.error.code).toBe('unauthorized');
    expect(res.json.error.request_id).toBe(res.headers.get('x-request-id')!);
  });

  test('accepts a valid token (the control for the table above)', async () => {
    const { call } = testApp();
    const res = await call('GET', '/api/v1/students/student-1/mastery', { headers: { authorization: `Bearer ${await token()}` } });
    expect(res.status).toBe(200);
  });

  test('tolerates clock skew up to the configured tolerance only', async () => {
    const { call } = testApp();
    const slightlyExpired = await token({ exp: nowS() - 10 });
    const res = await call('GET', '/api/v1/students/student-1/mastery', { headers: { authorization: `Bearer ${slightlyExpired}` } });
    expect(res.status).toBe(200);
  });

  test('a token accepted before is refused once it expires (verified tokens are cached, their expiry is not)', async () => {
    const authenticate = createAuthenticator({ algorithm: 'HS256', key: new TextEncoder().encode(SECRET), issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0 });
    const { call } = testApp({ authenticate });
    const shortLived = { authorization: `Bearer ${await token({ exp: nowS() + 1 })}` };
    expect((await call('GET', '/api/v1/students/student-1/mastery', { headers: shortLived })).status).toBe(200);
    await Bun.sleep(2100);
    expect((await call('GET', '/api/v1/students/student-1/mastery', { headers: shortLived })).status).toBe(401);
  });

  describe('production choices', () => {
    const authenticator = (extra: { requireTenant?: boolean; maxAgeSeconds?: number }) =>
      createAuthenticator({ algorithm: 'HS256', key: new TextEncoder().encode(SECRET), issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0, ...extra });
    const mastery = async (authenticate: ReturnType<typeof createAuthenticator>, claims: Parameters<typeof token>[0]) => {
      const { call } = testApp({ authenticate });
      return call('GET', '/api/v1/students/student-1/mastery', { headers: { authorization: `Bearer ${await token(claims)}` } });
    };

    test('when a tenant is required (production), a token without one is refused rather than filed under the default tenant', async () => {
      const refused = await mastery(authenticator({ requireTenant: true }), {});
      expect([refused.status, refused.json.error.message]).toEqual([401, 'the token has no tenant claim']);
      expect((await mastery(authenticator({ requireTenant: true }), { tenant: 'tenant-1' })).status).toBe(200);
      expect((await mastery(authenticator({}), {})).status).toBe(200);
    });

    test('with a maximum age, a token issued longer ago than that is refused, and so is one without iat', async () => {
      const authenticate = authenticator({ maxAgeSeconds: 600 });
      expect((await mastery(authenticate, { iat: nowS() - 601 })).status).toBe(401);
      expect((await mastery(authenticate, { iat: undefined })).status).toBe(401);
      expect((await mastery(authenticate, { iat: nowS() - 60 })).status).toBe(200);
      expect((await mastery(authenticator({}), { iat: nowS() - 3600 })).status).toBe(200);
    });

    test('a token accepted before is refused once it passes the maximum age (the verified-token cache checks iat too)', async () => {
      const { call } = testApp({ authenticate: authenticator({ maxAgeSeconds: 60 }) });
      const headers = { authorization: `Bearer ${await token({ iat: nowS(), exp: nowS() + 3600 })}` };
      expect((await call('GET', '/api/v1/students/student-1/mastery', { headers })).status).toBe(200);
      setSystemTime(new Date(Date.now() + 120_000));
      try {
        expect((await call('GET', '/api/v1/students/student-1/mastery', { headers })).status).toBe(401);
      } finally {
        setSystemTime();
      }
    });
  });

  test('every /api/v1 route requires a token', async () => {
    const { call } = testApp();
    for (const [method, path] of [
      ['POST', '/api/v1/mastery/calculate'],
      ['POST', '/api/v1/mastery/query'],
      ['POST', '/api/v1/events'],
      ['GET', '/api/v1/cohorts'],
      ['POST', '/api/v1/cohorts'],
      ['GET', '/api/v1/cohorts/c1'],
      ['PUT', '/api/v1/cohorts/c1'],
      ['GET', '/api/v1/nowhere'],
    ] as const) {
      expect((await call(method, path, { body: {} })).status).toBe(401);
    }
  });

  describe.each(['RS256', 'ES256'] as const)('with %s public keys', (alg) => {
    test('accepts tokens signed by the private key and refuses HS256 tokens made with the public key', async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const authenticate = createAuthenticator({ algorithm: alg, key: publicKey, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 30 });
      const { call } = testApp({ authenticate });
      const good = await new SignJWT({ sub: 'admin-1', role: 'admin' }).setProtectedHeader({ alg }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(privateKey);
      expect((await call('GET', '/api/v1/cohorts', { headers: { authorization: `Bearer ${good}` } })).status).toBe(200);
      const pem = await exportSPKI(publicKey);
      const confused = await token({ role: 'admin' }, new TextEncoder().encode(pem));
      expect((await call('GET', '/api/v1/cohorts', { headers: { authorization: `Bearer ${confused}` } })).status).toBe(401);
    });
  });

  test('the shared secret never appears in a response or a log line', async () => {
    const { call, logs } = testApp();
    const t = await token({ role: 'admin', sub: 'admin-1' });
    await call('GET', '/api/v1/cohorts', { headers: { authorization: `Bearer ${t}` } });
    await call('GET', `/api/v1/cohorts?token=${t}`);
    const all = logs.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(t);
    expect(all).not.toContain(t.split('.')[2]!);
  });
});
