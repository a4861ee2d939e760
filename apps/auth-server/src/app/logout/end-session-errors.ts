import { PageError } from '../signin/page-error';

/** Why an end-session request is answered with an error page. Stable: tests and operators match on them. */
export type EndSessionErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_post_logout_redirect_uri'
  | 'invalid_csrf_token'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * A refused end-session request, shown as an HTML page and never as a redirect: an open
 * redirector must not be built from `post_logout_redirect_uri` (OpenID Connect
 * RP-Initiated Logout 1.0 s3; RFC 9700 s4.11). The message is fixed text; nothing of the
 * request is echoed.
 */
export class EndSessionError extends PageError<EndSessionErrorCode> {}
