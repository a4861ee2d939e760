import type { AuthorizationRequest, ErrorRedirect } from './authorization-request';

/**
 * `redirectUri` with response parameters appended to its query (RFC 6749 s4.1.2: "adding
 * the following parameters to the query component"; s3.1.2: the registered query is
 * kept). The URI is not re-serialised through `URL`, so the client gets back exactly the
 * string it registered. Absent values are left out.
 */
export function appendResponseParameters(redirectUri: string, parameters: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== undefined) query.append(name, value);
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${query.toString()}`;
}

/** The successful response: `code`, the exact `state`, and `iss` (RFC 6749 s4.1.2, RFC 9207 s2). */
export function codeResponseLocation(request: AuthorizationRequest, code: string, issuer: string): string {
  return appendResponseParameters(request.redirectUri, { code, state: request.state, iss: issuer });
}

/** The error response: `error`, `error_description`, the exact `state`, and `iss` (RFC 6749 s4.1.2.1, RFC 9207 s2). */
export function errorResponseLocation(refusal: ErrorRedirect, issuer: string): string {
  return appendResponseParameters(refusal.redirectUri, {
    error: refusal.error.code,
    error_description: refusal.error.description,
    state: refusal.state,
    iss: issuer,
  });
}
