import { HttpException, HttpStatus } from '@nestjs/common';

/** Stable codes of the account API's second-factor answers (beyond RFC 6749/6750 codes). */
export type SecondFactorErrorCode = 'invalid_code' | 'mfa_already_enabled' | 'mfa_not_enabled' | 'enrollment_not_started';

const STATUS: Record<SecondFactorErrorCode, number> = {
  invalid_code: HttpStatus.BAD_REQUEST,
  mfa_already_enabled: HttpStatus.CONFLICT,
  mfa_not_enabled: HttpStatus.CONFLICT,
  enrollment_not_started: HttpStatus.CONFLICT,
};

const DESCRIPTION: Record<SecondFactorErrorCode, string> = {
  invalid_code: 'The code is wrong, expired or already used.',
  mfa_already_enabled: 'Two-factor authentication is already on; turn it off first.',
  mfa_not_enabled: 'Two-factor authentication is off.',
  enrollment_not_started: 'No authenticator set-up is waiting for confirmation.',
};

/** A refused second-factor operation: `{"error": code, "error_description": ...}`, never echoing input. */
export class SecondFactorError extends HttpException {
  constructor(readonly code: SecondFactorErrorCode) {
    super({ error: code, error_description: DESCRIPTION[code] }, STATUS[code]);
  }
}
