// HS256 JWTs signed inside k6 (k6/crypto HMAC + k6/encoding base64url), with the claims the
// service checks (src/adapters/http/auth.ts): iss, aud, sub, role, tenant, exp.
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';

const ISSUER = __ENV.JWT_ISSUER || 'mastery-engine';
const AUDIENCE = __ENV.JWT_AUDIENCE || 'learnflow';
const LIFETIME_S = 3600;
// In production the service refuses tokens without a tenant claim; this is the one it would assume.
const DEFAULT_TENANT = 'default';
const HEADER = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');

function secret() {
  const s = __ENV.JWT_SECRET;
  if (!s || s.length < 32) throw new Error('JWT_SECRET (at least 32 bytes) must be passed to k6: -e JWT_SECRET=...');
  return s;
}

/** Signs one token now; valid LIFETIME_S seconds. */
export function sign(sub, role, tenant) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub, role, tenant: tenant || DEFAULT_TENANT, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + LIFETIME_S };
  const unsigned = `${HEADER}.${encoding.b64encode(JSON.stringify(claims), 'rawurl')}`;
  const signature = encoding.b64encode(crypto.hmac('sha256', secret(), unsigned, 'binary'), 'rawurl');
  return { token: `${unsigned}.${signature}`, exp: claims.exp };
}

/**
 * Per-VU cache: each principal's token is signed once and re-signed a minute before it expires,
 * so long soaks keep valid tokens and signing stays off the measured path.
 */
const cache = {};
export function bearer(sub, role, tenant) {
  const key = `${tenant || ''}/${role}/${sub}`;
  let entry = cache[key];
  if (!entry || entry.exp - 60 < Date.now() / 1000) {
    entry = sign(sub, role, tenant);
    cache[key] = entry;
  }
  return `Bearer ${entry.token}`;
}
