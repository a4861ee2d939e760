import { PageError } from '../signin/page-error';

/**
 * Error codes an authorization response carries to the client's redirect URI
 * (RFC 6749 s4.1.2.1; OIDC Core 1.0 s3.1.2.6 for the `*_required` and `request*` codes).
 */
export type AuthorizationErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'login_required'
  | 'consent_required'
  | 'request_not_supported'
  | 'request_uri_not_supported';

/**
 * A refused authorization request whose client and redirect URI are known good, so the
 * answer goes back to the client: a redirect with `error`, `error_description`, `state`
 * and `iss` (RFC 6749 s4.1.2.1, RFC 9207). Descriptions are fixed text, never input.
 */
export class AuthorizationError extends Error {
  constructor(
    readonly code: AuthorizationErrorCode,
    readonly description: string,
  ) {
    super(description);
    this.name = 'AuthorizationError';
  }
}

/** Why a request is answered with a page instead of a redirect. Stable: tests and operators match on them. */
export type PageErrorCode =
  | 'invalid_client'
  | 'invalid_redirect_uri'
  | 'invalid_request'
  | 'invalid_csrf_token'
  | 'request_expired'
  | 'too_many_requests'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * A failure shown to the user as an HTML page, never as a redirect: a missing, unknown or
 * repeated `client_id`, or a redirect URI that is missing, repeated or not registered
 * (RFC 6749 s4.1.2.1: "MUST NOT automatically redirect the user-agent to the invalid
 * redirection URI"; RFC 9700 s4.11 on open redirectors), and sign-in form problems
 * (CSRF, an expired form). The message is fixed text; nothing of the request is echoed.
 */
export class AuthorizationPageError extends PageError<PageErrorCode> {}
