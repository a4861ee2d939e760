/** Why a `/security` request was refused: stable codes, each with its page and status. */
export type SecurityErrorCode =
  /** A form without the session's CSRF token, or from another origin (CWE-352). */
  | 'csrf_refused'
  /** No live demo session, or auth-server no longer honours its tokens: sign in again. */
  | 'signed_out'
  /**
   * auth-server wants a more recent sign-in for this step (RFC 9470
   * `insufficient_user_authentication`): a new sign-in (`prompt=login`), then back to `/security`.
   */
  | 'reauthentication_required'
  /** A request the account API or the demo cannot make sense of. */
  | 'bad_request'
  /** The account changed in the meantime (two-factor already on or off, setup expired). */
  | 'conflict'
  /** auth-server throttles the account API (429, with `Retry-After`). */
  | 'rate_limited'
  /** auth-server cannot be reached or answered with an error of its own: fail closed. */
  | 'unavailable';

const STATUS: Record<SecurityErrorCode, number> = {
  csrf_refused: 403,
  signed_out: 303,
  reauthentication_required: 303,
  bad_request: 400,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};

/** A refused `/security` step, rendered by `SecurityErrorFilter` with fixed text per code. */
export class SecurityError extends Error {
  override readonly name = 'SecurityError';
  /** The HTTP status of the answer (303 for `signed_out` and `reauthentication_required`: a redirect). */
  readonly status: number;

  /** @param retryAfterSeconds for `rate_limited`: the `Retry-After` to pass on. */
  constructor(
    readonly code: SecurityErrorCode,
    readonly retryAfterSeconds?: number,
  ) {
    super(code);
    this.status = STATUS[code];
  }
}
