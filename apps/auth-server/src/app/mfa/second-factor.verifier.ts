import { Injectable } from '@nestjs/common';
import { AuditService, type AuditParty } from '@authkit/audit';
import { MfaError, RecoveryCodes, TotpSecretCipher, TotpService } from '@authkit/mfa';
import { SecondFactorAttempts } from './second-factor-attempts';
import { SecondFactorStore } from './second-factor.store';

/** Why a code is being checked, for the audit record. */
export type SecondFactorPurpose = 'sign_in' | 'disable';

const MAX_CODE_LENGTH = 64; // longer input is not a code; refused before any work

/**
 * Checks a user's second factor: a TOTP code (RFC 6238) or a recovery code. Each check
 * counts against the user's attempt limit before anything else, and an accepted code is
 * consumed by one conditional write: a TOTP time step is accepted once (RFC 6238 s5.2,
 * replay), a recovery code once. Audit: `mfa.verify.succeeded` / `mfa.verify.failed` with
 * the method and purpose, `mfa.recovery_code.used` with how many remain; never the code.
 */
@Injectable()
export class SecondFactorVerifier {
  constructor(
    private readonly store: SecondFactorStore,
    private readonly totp: TotpService,
    private readonly cipher: TotpSecretCipher,
    private readonly recoveryCodes: RecoveryCodes,
    private readonly attempts: SecondFactorAttempts,
    private readonly audit: AuditService,
  ) {}

  /** True when the user has a confirmed authenticator: sign-in then asks for a second factor. */
  async required(userId: string): Promise<boolean> {
    return (await this.store.findTotp(userId))?.confirmed === true;
  }

  /**
   * True when `code` is the user's current TOTP code, not used before.
   * @throws TooManyRequestsError past the attempt limit; OAuthError 503 when the limit cannot be checked.
   */
  async verifyTotp(userId: string, code: string, purpose: SecondFactorPurpose): Promise<boolean> {
    await this.attempts.consume(userId);
    const stored = await this.store.findTotp(userId);
    let accepted = false;
    if (stored?.confirmed && code.length <= MAX_CODE_LENGTH) {
      const step = await this.totp.verify(code, this.cipher.decrypt(stored.secretCiphertext, userId), stored.lastUsedStep);
      accepted = step !== null && (await this.store.claimStep(userId, step));
    }
    this.record(userId, accepted, 'totp', purpose);
    return accepted;
  }

  /**
   * True when `code` is one of the user's unused recovery codes; it is used up.
   * @throws TooManyRequestsError past the attempt limit; OAuthError 503 when the limit cannot be checked.
   */
  async verifyRecoveryCode(userId: string, code: string): Promise<boolean> {
    await this.attempts.consume(userId);
    let accepted = false;
    if (code.length <= MAX_CODE_LENGTH) {
      const hash = this.hashOrUndefined(code);
      accepted = hash !== undefined && (await this.store.useRecoveryCode(userId, hash));
    }
    this.record(userId, accepted, 'recovery_code', 'sign_in');
    if (accepted) {
      const self: AuditParty = { type: 'user', id: userId };
      this.audit.record({ type: 'mfa.recovery_code.used', outcome: 'success', actor: self, subject: self, details: { remaining: await this.store.unusedRecoveryCodes(userId) } });
    }
    return accepted;
  }

  private hashOrUndefined(code: string): string | undefined {
    try {
      return this.recoveryCodes.hash(code);
    } catch (error) {
      if (error instanceof MfaError) return undefined;
      throw error;
    }
  }

  private record(userId: string, accepted: boolean, method: 'totp' | 'recovery_code', purpose: SecondFactorPurpose): void {
    const self: AuditParty = { type: 'user', id: userId };
    this.audit.record({
      type: accepted ? 'mfa.verify.succeeded' : 'mfa.verify.failed',
      outcome: accepted ? 'success' : 'failure',
      actor: self,
      subject: self,
      details: { method, purpose },
    });
  }
}
