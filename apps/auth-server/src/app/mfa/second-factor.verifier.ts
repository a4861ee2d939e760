import { Injectable } from '@nestjs/common';
import { AuditService, type AuditParty } from '@authkit/audit';
import { MfaError, RecoveryCodes, TotpSecretCipher, TotpService } from '@authkit/mfa';
import { SecondFactorAttempts } from './second-factor-attempts';
import { SecondFactorStore } from './second-factor.store';

/** Why a code is being checked, for the audit record. */
export type SecondFactorPurpose = 'sign_in' | 'disable' | 'recovery_codes';

/**
 * Consecutive wrong authenticator codes after which the authenticator is locked until a
 * recovery code (80 bits: not guessable) or an operator unlocks it. NIST SP 800-63B s5.2.2:
 * no more than 100 consecutive failed attempts on one account; the per-user rate limit
 * alone would allow about 1,440 a day.
 */
export const TOTP_MAX_CONSECUTIVE_FAILURES = 100;

/** What checking a code led to; `locked`: the authenticator takes no code until unlocked. */
export type CodeCheck = 'accepted' | 'rejected' | 'locked';

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
   * Whether `code` is the user's current TOTP code, not used before; a wrong one counts
   * towards {@link TOTP_MAX_CONSECUTIVE_FAILURES}, and a locked authenticator takes none.
   * @throws TooManyRequestsError past the attempt limit; OAuthError 503 when the limit cannot be checked.
   */
  async checkTotp(userId: string, code: string, purpose: SecondFactorPurpose): Promise<CodeCheck> {
    await this.attempts.consume(userId);
    const stored = await this.store.findTotp(userId);
    if (!stored?.confirmed) {
      this.record(userId, false, 'totp', purpose);
      return 'rejected';
    }
    if (stored.consecutiveFailures >= TOTP_MAX_CONSECUTIVE_FAILURES) {
      this.record(userId, false, 'totp', purpose, { locked: true });
      return 'locked';
    }
    // TotpService.verify refuses anything but six ASCII digits before any work.
    const step = await this.totp.verify(code, this.cipher.decrypt(stored.secretCiphertext, userId), stored.lastUsedStep);
    if (step !== null && (await this.store.claimStep(userId, step, TOTP_MAX_CONSECUTIVE_FAILURES))) {
      this.record(userId, true, 'totp', purpose);
      return 'accepted';
    }
    const failures = await this.store.recordFailure(userId);
    const locked = failures >= TOTP_MAX_CONSECUTIVE_FAILURES;
    this.record(userId, false, 'totp', purpose, locked ? { locked: true } : {});
    return locked ? 'locked' : 'rejected';
  }

  /** {@link checkTotp}, as a yes or no. */
  async verifyTotp(userId: string, code: string, purpose: SecondFactorPurpose): Promise<boolean> {
    return (await this.checkTotp(userId, code, purpose)) === 'accepted';
  }

  /**
   * True when `code` is one of the user's unused recovery codes; it is used up.
   * @throws TooManyRequestsError past the attempt limit; OAuthError 503 when the limit cannot be checked.
   */
  async verifyRecoveryCode(userId: string, code: string): Promise<boolean> {
    await this.attempts.consume(userId);
    const hash = this.hashOrUndefined(code); // undefined for anything that is not a recovery code's form
    const accepted = hash !== undefined && (await this.store.useRecoveryCode(userId, hash));
    this.record(userId, accepted, 'recovery_code', 'sign_in');
    if (accepted) {
      await this.store.clearFailures(userId); // the user proved themselves: the authenticator works again
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

  private record(userId: string, accepted: boolean, method: 'totp' | 'recovery_code', purpose: SecondFactorPurpose, extra: Record<string, boolean> = {}): void {
    const self: AuditParty = { type: 'user', id: userId };
    this.audit.record({
      type: accepted ? 'mfa.verify.succeeded' : 'mfa.verify.failed',
      outcome: accepted ? 'success' : 'failure',
      actor: self,
      subject: self,
      details: { method, purpose, ...extra },
    });
  }
}
