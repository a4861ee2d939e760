import { BearerTokenError } from '../error-codes';

/** The parts of a request the extractor reads, on Express and Fastify alike. */
export interface RequestLike {
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly query?: unknown;
  readonly body?: unknown;
}

/** RFC 6750 s2.1: b64token characters. Checked only for tokens not already verified. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Where a request's credential was found. */
export type CredentialSource = 'header' | 'cookie';

/** A credential as the request carried it: a Bearer token, or the cookie's raw value. */
export interface ExtractedCredential {
  readonly value: string;
  readonly source: CredentialSource;
}

/**
 * Finds the credential of a request and says where it came from: the `Authorization`
 * header (RFC 6750 s2.1), or, when configured, an HTTP-only cookie (whose value is the
 * token, or a session handle when the cookie has a resolver). Undefined when the request
 * carries neither.
 *
 * @throws BearerTokenError `invalid_request` for a malformed header, a token in the query
 *   string (RFC 6750 s2.3, RFC 9700 s4.3.2: it leaks through logs and referrers) or form
 *   body, two credentials at once (s2: "MUST NOT use more than one method"), or a
 *   cookie-borne request with an unsafe method from an origin that is not allowed (CSRF).
 */
export function extractCredential(
  request: RequestLike,
  cookie?: { readonly name: string; readonly allowedOrigins: readonly string[] },
): ExtractedCredential | undefined {
  if (hasMember(request.query, 'access_token')) throw new BearerTokenError('invalid_request', 'Send the access token in the Authorization header.');
  if (hasMember(request.body, 'access_token')) throw new BearerTokenError('invalid_request', 'Send the access token in the Authorization header.');
  const header = request.headers['authorization'];
  if (Array.isArray(header)) throw new BearerTokenError('invalid_request', 'Only one Authorization header is allowed.');
  let fromHeader: string | undefined;
  // RFC 6750 s2.1: "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 s2.1).
  if (header !== undefined && header.length >= 6 && header.slice(0, 6).toLowerCase() === 'bearer') {
    const token = header.slice(6).trim();
    if (header[6] !== ' ' || !token || !B64TOKEN.test(token)) {
      throw new BearerTokenError('invalid_request', 'The Authorization header is malformed.');
    }
    fromHeader = token;
  }
  const fromCookie = cookie ? readCookie(request.headers['cookie'], cookie.name) : undefined;
  if (fromHeader && fromCookie) throw new BearerTokenError('invalid_request', 'Send one access token, not two.');
  if (fromCookie && cookie && !SAFE_METHODS.has(request.method.toUpperCase()) && !originAllowed(request, cookie.allowedOrigins)) {
    throw new BearerTokenError('invalid_request', 'Cross-site request refused.');
  }
  if (fromHeader) return { value: fromHeader, source: 'header' };
  return fromCookie ? { value: fromCookie, source: 'cookie' } : undefined;
}

function hasMember(value: unknown, name: string): boolean {
  return value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, name);
}

function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (typeof header !== 'string') return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) throw new BearerTokenError('invalid_request', 'Send one access token, not two.');
    found = part.slice(eq + 1).trim();
  }
  return found || undefined;
}

/** OWASP CSRF: verify the source origin of state-changing requests against an allow-list. */
function originAllowed(request: RequestLike, allowed: readonly string[]): boolean {
  const origin = request.headers['origin'];
  if (typeof origin === 'string') return origin !== 'null' && allowed.includes(origin);
  const referer = request.headers['referer'];
  if (typeof referer !== 'string') return false;
  try {
    return allowed.includes(new URL(referer).origin);
  } catch {
    return false;
  }
}
