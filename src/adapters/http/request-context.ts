import type { Principal } from '../../domain/access/access';
import { ApiError } from './errors';

/** What the gate learns about a request before routing, for the hooks and handlers after it. */
export interface RequestInfo {
  requestId: string;
  startedAt: number;
  traceId?: string;
  principal?: Principal;
}

const infos = new WeakMap<Request, RequestInfo>();

export const setRequestInfo = (request: Request, info: RequestInfo): void => void infos.set(request, info);
export const requestInfo = (request: Request): RequestInfo | undefined => infos.get(request);
export const requestIdOf = (request: Request): string => infos.get(request)?.requestId ?? 'unknown';

const forwarded = new WeakMap<Request, string>();

/**
 * The client address of the call an internal request was made for (an invocation intent), so the
 * rate limit of a failed authentication counts the real caller. Set on the Request object, never
 * read from a header a client could send.
 */
export const setForwardedAddress = (request: Request, address: string): void => void forwarded.set(request, address);
export const forwardedAddress = (request: Request): string | undefined => forwarded.get(request);

/** The authenticated principal; the gate guarantees one on every /api/v1 route. */
export function principalOf(request: Request): Principal {
  const p = infos.get(request)?.principal;
  if (!p) throw new ApiError('unauthorized', 'a Bearer token is required');
  return p;
}

/** A client's X-Request-ID is kept when it is a plain token; anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const acceptRequestId = (header: string | null): string => (header && REQUEST_ID.test(header) ? header : crypto.randomUUID());

/** W3C trace context: version 00, 32-hex trace id, 16-hex parent id, 2-hex flags; all-zero ids are invalid. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Continues the caller's trace: same trace id and flags, a new span id for this service. Without a
 * valid header a new trace starts.
 */
export function continueTrace(header: string | null): { traceId: string; traceparent: string } {
  const m = header ? TRACEPARENT.exec(header) : null;
  const valid = m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!);
  const traceId = valid ? m[1]! : randomHex(16);
  const flags = valid ? m[3]! : '01';
  return { traceId, traceparent: `00-${traceId}-${randomHex(8)}-${flags}` };
}

const randomHex = (bytes: number): string => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
