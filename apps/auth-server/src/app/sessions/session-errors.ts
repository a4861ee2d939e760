import { HttpException } from '@nestjs/common';

/**
 * The cookie names no live session (unknown, expired, ended or revoked) where one is
 * required, e.g. to raise the authentication level. Renders as 401 `login_required`
 * (the OIDC Core 1.0 s3.1.2.6 code for "the user must sign in again").
 */
export class SessionRequiredError extends HttpException {
  readonly code = 'login_required';

  constructor() {
    super({ error: 'login_required', error_description: 'No live sign-in session.' }, 401);
  }
}

/**
 * The session store did not answer (Redis unreachable, say). Sessions fail closed: the
 * caller answers 503 `temporarily_unavailable` rather than guessing whether a session is
 * live or was revoked.
 */
export class SessionStoreUnavailableError extends HttpException {
  readonly code = 'temporarily_unavailable';

  constructor() {
    super({ error: 'temporarily_unavailable', error_description: 'Sign-in sessions are unavailable; retry.' }, 503);
  }
}
