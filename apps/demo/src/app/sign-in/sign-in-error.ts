/** Why a sign-in or sign-out was refused: stable codes, shown on the error page and logged. */
export type SignInErrorCode =
  /** The callback came without the login cookie, or its sign-in expired or was already used. */
  | 'login_expired'
  /** The callback's `state` is missing or not the one of this browser's sign-in (RFC 6749 s10.12). */
  | 'state_mismatch'
  /** auth-server answered with an error (e.g. `access_denied`: the user said no). */
  | 'authorization_failed'
  /** The code exchange or one of its checks (PKCE, `iss`, ID token, nonce) failed. */
  | 'exchange_failed'
  /** auth-server cannot be reached. */
  | 'issuer_unavailable'
  /** Sign-out without the form's CSRF token, or from another origin. */
  | 'csrf_refused';

const STATUS: Record<SignInErrorCode, number> = {
  login_expired: 400,
  state_mismatch: 400,
  authorization_failed: 400,
  exchange_failed: 400,
  issuer_unavailable: 503,
  csrf_refused: 403,
};

/** A refused sign-in step; rendered as a page by `SignInErrorFilter`, never with provider text. */
export class SignInError extends Error {
  override readonly name = 'SignInError';
  /** The HTTP status of the error page. */
  readonly status: number;

  constructor(readonly code: SignInErrorCode) {
    super(code);
    this.status = STATUS[code];
  }
}
