import { HttpException, HttpStatus } from '@nestjs/common';

/** Stable codes of the account API's second-factor answers (beyond RFC 6749/6750 codes). */
export type SecondFactorErrorCode = 'invalid_code' | 'mfa_already_enabled' | 'mfa_not_enabled' | 'enrollment_not_started' | 'insufficient_user_authentication';

const STATUS: Record<SecondFactorErrorCode, number> = {
  invalid_code: HttpStatus.BAD_REQUEST,
  mfa_already_enabled: HttpStatus.CONFLICT,
  mfa_not_enabled: HttpStatus.CONFLICT,
  enrollment_not_started: HttpStatus.CONFLICT,
  insufficient_user_authentication: HttpStatus.UNAUTHORIZED, // RFC 9470 s3
};

const DESCRIPTION: Record<SecondFactorErrorCode, string> = {
  invalid_code: 'The code is wrong, expired or already used.',
  mfa_already_enabled: 'Two-factor authentication is already on; turn it off first.',
  mfa_not_enabled: 'Two-factor authentication is off.',
  enrollment_not_started: 'No authenticator set-up is waiting for confirmation.',
  insufficient_user_authentication: 'Sign in again to change two-factor authentication.',
};

/** A refused second-factor operation: `{"error": code, "error_description": ...}`, never echoing input. */
export class SecondFactorError extends HttpException {
  /** @param extra further members of the body, e.g. RFC 9470's `max_age`. */
  constructor(
    readonly code: SecondFactorErrorCode,
    extra: Readonly<Record<string, number>> = {},
  ) {
    super({ error: code, error_description: DESCRIPTION[code], ...extra }, STATUS[code]);
  }
}
