/** CONTRACT: the demo's session cookie, `__Host-` prefixed when served over https. */
export const SESSION_COOKIE = 'demo_session';
/** The short-lived cookie that ties a callback to the browser that started the sign-in. */
export const LOGIN_COOKIE = 'demo_login';

/** Names and attributes of the demo's cookies for its public URL. */
export interface CookieNames {
  readonly session: string;
  readonly login: string;
  readonly secure: boolean;
}

/**
 * Cookie names for `publicUrl`: over https the `__Host-` prefix (RFC 6265bis s4.1.3.2)
 * pins the cookie to this host, `Secure` and `Path=/`, so a sibling subdomain cannot set it.
 */
export function cookieNames(publicUrl: string): CookieNames {
  const secure = new URL(publicUrl).protocol === 'https:';
  const prefix = secure ? '__Host-' : '';
  return { session: prefix + SESSION_COOKIE, login: prefix + LOGIN_COOKIE, secure };
}

/**
 * A `Set-Cookie` value: always HttpOnly (no page script reads it) and SameSite=Lax, which
 * still sends it on the top-level cross-site GET of the authorization response (the
 * callback) but not on cross-site POSTs. `maxAgeSeconds` 0 clears the cookie.
 */
export function serializeCookie(name: string, value: string, options: { readonly secure: boolean; readonly maxAgeSeconds?: number }): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join('; ');
}

/**
 * The value of cookie `name` in a `Cookie` header; undefined when absent, empty or sent
 * twice (two cookies of one name mean someone tossed one in: trust neither).
 */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (typeof header !== 'string') return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return undefined;
    found = part.slice(eq + 1).trim();
  }
  return found || undefined;
}
