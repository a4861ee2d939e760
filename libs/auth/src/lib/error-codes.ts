import { HttpException } from '@nestjs/common';

/** RFC 6750 s3.1 error codes. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

const STATUS: Record<BearerErrorCode | 'missing', number> = {
  missing: 401,
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
};

/**
 * A resource-server refusal, rendered per RFC 6750 s3 by `BearerErrorFilter`: the status,
 * `WWW-Authenticate: Bearer realm=..., error=...`, and a JSON body with the same code.
 * No code at all when the request carried no token (s3.1: "SHOULD NOT include an error code").
 */
export class BearerTokenError extends HttpException {
  constructor(
    readonly code: BearerErrorCode | undefined,
    readonly description?: string,
    /** For `insufficient_scope`: the scope the resource needs (s3). */
    readonly requiredScope?: string,
  ) {
    super(code ? { error: code, ...(description ? { error_description: description } : {}) } : { error: 'unauthorized' }, STATUS[code ?? 'missing']);
  }

  /** The `WWW-Authenticate` value for `realm`. */
  challenge(realm: string): string {
    const parts = [`Bearer realm="${realm}"`];
    if (this.code) parts.push(`error="${this.code}"`);
    if (this.description) parts.push(`error_description="${this.description.replace(/["\\]/g, '')}"`);
    if (this.requiredScope) parts.push(`scope="${this.requiredScope}"`);
    return parts.join(', ');
  }
}
