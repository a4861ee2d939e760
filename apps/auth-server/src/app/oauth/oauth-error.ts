import { HttpException } from '@nestjs/common';

/** Error codes of RFC 6749 s5.2, RFC 7009 s2.2.1, RFC 8707 s2 and the admin API. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'invalid_client_metadata'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'not_found'
  | 'temporarily_unavailable';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401, // RFC 6749 s5.2: 401 with WWW-Authenticate
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
  invalid_client_metadata: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  not_found: 404,
  temporarily_unavailable: 503,
};

/**
 * A protocol error with its stable code; the global filter renders it as
 * `{"error": code, "error_description": ...}` with `Cache-Control: no-store` and any
 * `responseHeaders`. Descriptions never echo submitted values.
 */
export class OAuthError extends HttpException {
  constructor(
    readonly code: OAuthErrorCode,
    description?: string,
    readonly responseHeaders: Readonly<Record<string, string>> = {},
  ) {
    super(description ? { error: code, error_description: description } : { error: code }, STATUS[code]);
  }

  /** RFC 6749 s5.2: failed client authentication, with the challenge for the scheme the client may use. */
  static invalidClient(realm: string): OAuthError {
    return new OAuthError('invalid_client', 'Client authentication failed.', {
      'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"`,
    });
  }
}
