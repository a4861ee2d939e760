/** Stable error codes of the MFA library. Callers branch on these, never on messages. */
export type MfaErrorCode = 'secret_unreadable' | 'invalid_recovery_code';

const MESSAGES: Record<MfaErrorCode, string> = {
  secret_unreadable: 'The stored TOTP secret cannot be decrypted for this user.',
  invalid_recovery_code: 'The recovery code is not well formed.',
};

/**
 * A failure of an MFA primitive, with a stable {@link MfaErrorCode}. The message is fixed
 * per code and never carries a secret, a ciphertext or the code a user typed, so it is
 * safe to log. Misuse (a KEK of the wrong size) is a `TypeError` instead.
 */
export class MfaError extends Error {
  override readonly name = 'MfaError';

  constructor(readonly code: MfaErrorCode) {
    super(MESSAGES[code]);
  }
}
