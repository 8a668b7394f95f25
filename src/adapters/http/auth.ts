import { jwt } from '@elysiajs/jwt';
import type { CryptoKey, JWTVerifyOptions } from 'jose';
import { ROLES, type Principal, type Role } from '../../domain/access/access';
import { DEFAULT_TENANT, ID_PATTERN } from '../../domain/mastery/event';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface AuthSettings {
  algorithm: JwtAlgorithm;
  /** The HS256 secret bytes, or the RS256/ES256 public key. */
  key: Uint8Array | CryptoKey;
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
  /** Refuse tokens whose `iat` is older than this (and tokens without `iat`); unset: `exp` alone. */
  maxAgeSeconds?: number | undefined;
  /** Refuse tokens without a `tenant` claim instead of filing them under the default tenant. */
  requireTenant?: boolean;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Query parameters that would carry a credential: tokens in URLs end up in logs and caches. */
const QUERY_TOKEN_PARAMS = ['token', 'access_token', 'jwt', 'id_token', 'auth', 'authorization'];
/** Headers through which a client might try to assert its own role or identity. */
const SELF_ASSERTED = /^x-(user-)?(roles?|tenant|subject|user-id)$/i;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * Bearer-token authentication after RFC 8725: the algorithm list is pinned to the configured
 * one (so `alg: none` and HS/RS confusion fail), `exp` and `sub` are required, `iss`, `aud` and
 * `nbf` are checked with a bounded clock tolerance, and the role must be one we know.
 */
export function createAuthenticator(settings: AuthSettings) {
  // jose imports a raw HMAC secret on every verify; importing it once saves that work per request.
  const key: Promise<Uint8Array | CryptoKey> =
    settings.key instanceof Uint8Array
      ? crypto.subtle.importKey('raw', settings.key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
      : Promise.resolve(settings.key);
  // @elysiajs/jwt's verify checks nothing beyond the signature unless given jose's options.
  const verifier = key.then((k) => jwt({ name: 'jwt', secret: k, alg: settings.algorithm }).decorator.jwt);
  const verified = new VerifiedTokens(settings.clockToleranceSeconds, settings.maxAgeSeconds);
  const options: JWTVerifyOptions = {
    algorithms: [settings.algorithm],
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: settings.clockToleranceSeconds,
    requiredClaims: settings.maxAgeSeconds === undefined ? ['exp', 'sub'] : ['exp', 'sub', 'iat'],
    ...(settings.maxAgeSeconds === undefined ? {} : { maxTokenAge: settings.maxAgeSeconds }),
  };

  return async function authenticate(request: Request, url: URL): Promise<AuthResult> {
    if (QUERY_TOKEN_PARAMS.some((p) => url.searchParams.has(p))) return { ok: false, reason: 'credentials in the query string are not accepted' };
    for (const name of request.headers.keys()) {
      if (SELF_ASSERTED.test(name)) return { ok: false, reason: `the ${name} header is not accepted: identity comes from the token` };
    }
    const header = request.headers.get('authorization');
    if (!header) return { ok: false, reason: 'a Bearer token is required' };
    const token = BEARER.exec(header.trim())?.[1];
    if (!token) return { ok: false, reason: 'the Authorization header must be "Bearer <jwt>"' };

    let claims = verified.get(token);
    if (!claims) {
      const checked = (await (await verifier).verify(token, options)) as Record<string, unknown> | false;
      if (!checked) return { ok: false, reason: 'the token is invalid, expired or not meant for this service' };
      verified.add(token, checked);
      claims = checked;
    }
    const { sub, role, tenant } = claims;
    if (typeof sub !== 'string' || !ID_PATTERN.test(sub)) return { ok: false, reason: 'the token subject is not a valid id' };
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return { ok: false, reason: 'the token role is unknown' };
    if (tenant === undefined && settings.requireTenant) return { ok: false, reason: 'the token has no tenant claim' };
    if (tenant !== undefined && (typeof tenant !== 'string' || !ID_PATTERN.test(tenant))) return { ok: false, reason: 'the token tenant is not a valid id' };
    return { ok: true, principal: { subject: sub, role: role as Role, tenantId: (tenant as string | undefined) ?? DEFAULT_TENANT } };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;

/**
 * Tokens whose signature and claims were verified, so a client's next requests skip the
 * signature check; the time claims (exp, nbf, and iat against the maximum age) are checked again
 * on every use. Bounded: the oldest entry goes first.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, Record<string, unknown>>();
  constructor(
    private readonly toleranceSeconds: number,
    private readonly maxAgeSeconds: number | undefined,
    private readonly max = 10_000,
  ) {}

  get(token: string): Record<string, unknown> | undefined {
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    const now = Date.now() / 1000;
    const exp = claims.exp as number;
    const nbf = typeof claims.nbf === 'number' ? claims.nbf : -Infinity;
    const tooOld = this.maxAgeSeconds !== undefined && now - (claims.iat as number) > this.maxAgeSeconds + this.toleranceSeconds;
    if (now > exp + this.toleranceSeconds || now < nbf - this.toleranceSeconds || tooOld) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  add(token: string, claims: Record<string, unknown>): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, claims);
  }
}
