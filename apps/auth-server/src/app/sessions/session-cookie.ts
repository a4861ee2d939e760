/**
 * The `auth_session` cookie (CONTRACT): HTTP-only, `SameSite=Lax`, path `/`; `Secure` and
 * `__Host-` prefixed when the issuer is https (RFC 6265bis s4.1.3.2: a `__Host-` cookie is
 * Secure, has no Domain and has path `/`, so no sibling host can set or shadow it).
 */
export function sessionCookieName(issuer: string): string {
  return issuer.startsWith('https:') ? '__Host-auth_session' : 'auth_session';
}

/** A `Set-Cookie` value carrying `value`; a session cookie (no Max-Age) unless `maxAgeSeconds` is given. */
export function serializeCookie(issuer: string, name: string, value: string, maxAgeSeconds?: number): string {
  const attributes = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (issuer.startsWith('https:')) attributes.push('Secure');
  if (maxAgeSeconds !== undefined) attributes.push(`Max-Age=${maxAgeSeconds}`);
  return attributes.join('; ');
}

/** A `Set-Cookie` value that deletes the cookie. */
export function clearCookie(issuer: string, name: string): string {
  return serializeCookie(issuer, name, '', 0);
}

/**
 * The value of cookie `name` in a `Cookie` header, or undefined. When the name appears
 * twice (a cookie-tossing attempt from a sibling host), undefined: neither is trusted.
 */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (typeof header !== 'string') return undefined;
  let found: string | undefined;
  let seen = 0;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    seen++;
    found = part.slice(eq + 1).trim();
  }
  return seen === 1 && found ? found : undefined;
}
