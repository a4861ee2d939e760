import { Injectable, Logger } from '@nestjs/common';
import { AuditService, type AuditParty } from '@authkit/audit';
import { RecoveryCodes, TotpSecretCipher, TotpService } from '@authkit/mfa';
import { RevocationList } from '../oauth/revocation-list';
import { GrantRevocation } from '../refresh/grant-revocation.service';
import { SessionService } from '../sessions/session.service';
import type { UserEntity } from '../users/user.entity';
import { SecondFactorAttempts } from './second-factor-attempts';
import { SecondFactorError } from './second-factor-errors';
import { SecondFactorVerifier } from './second-factor.verifier';
import { SecondFactorStore } from './second-factor.store';

/** What the account API shows of a user's second factors. */
export interface SecondFactorStatus {
  readonly totp: { readonly enabled: boolean; readonly pending: boolean };
  readonly recovery_codes_remaining: number;
}

/** A started set-up: shown to the user once, to scan or type into an authenticator app. */
export interface TotpEnrollment {
  readonly secret: string;
  readonly otpauth_uri: string;
}

/**
 * Setting up and turning off a TOTP authenticator (RFC 6238), with confirmation: a set-up
 * counts only once the user proves the app produces codes (the first accepted code is
 * also the first consumed time step). Confirmation issues fresh recovery codes, shown
 * once and stored only as keyed hashes. Turning the factor off needs a current code
 * (OWASP ASVS 5.0 V6.4: changing an authentication factor needs the existing one).
 * Every code checked counts against the user's attempt limit.
 */
@Injectable()
export class TotpEnrollmentService {
  private readonly logger = new Logger(TotpEnrollmentService.name);

  constructor(
    private readonly store: SecondFactorStore,
    private readonly totp: TotpService,
    private readonly cipher: TotpSecretCipher,
    private readonly recoveryCodes: RecoveryCodes,
    private readonly verifier: SecondFactorVerifier,
    private readonly attempts: SecondFactorAttempts,
    private readonly audit: AuditService,
    private readonly sessions: SessionService,
    private readonly grants: GrantRevocation,
    private readonly revocations: RevocationList,
  ) {}

  async status(userId: string): Promise<SecondFactorStatus> {
    const stored = await this.store.findTotp(userId);
    const enabled = stored?.confirmed === true;
    return { totp: { enabled, pending: stored !== undefined && !enabled }, recovery_codes_remaining: enabled ? await this.store.unusedRecoveryCodes(userId) : 0 };
  }

  /**
   * Starts (or restarts) a set-up with a new secret.
   * @throws SecondFactorError `mfa_already_enabled` when an authenticator is confirmed.
   */
  async start(user: UserEntity): Promise<TotpEnrollment> {
    const secret = this.totp.generateSecret();
    if (!(await this.store.savePending(user.id, this.cipher.encrypt(secret, user.id)))) throw new SecondFactorError('mfa_already_enabled');
    this.audit.record({ type: 'mfa.enrollment.started', outcome: 'success', ...self(user.id), details: { method: 'totp' } });
    return { secret, otpauth_uri: this.totp.keyUri(user.email, secret) };
  }

  /**
   * Confirms the set-up with a code from the app; returns the new recovery codes (shown
   * once). Then signs the user out everywhere else, as Keycloak's OTP set-up does by
   * default: every auth-server session ends and every refresh-token grant except the one of
   * the access token `callerJti` (the client that set it up) is revoked, so a session or
   * grant obtained with a stolen password does not outlive the new factor.
   * @throws SecondFactorError `enrollment_not_started`, `mfa_already_enabled` or `invalid_code`.
   * @throws TooManyRequestsError past the attempt limit.
   */
  async confirm(userId: string, code: string, callerJti: string): Promise<string[]> {
    await this.attempts.consume(userId);
    const stored = await this.store.findTotp(userId);
    if (!stored) throw new SecondFactorError('enrollment_not_started');
    if (stored.confirmed) throw new SecondFactorError('mfa_already_enabled');
    const step = await this.totp.verify(code, this.cipher.decrypt(stored.secretCiphertext, userId), null);
    if (step === null) {
      this.audit.record({ type: 'mfa.verify.failed', outcome: 'failure', ...self(userId), details: { method: 'totp', purpose: 'enrollment' } });
      throw new SecondFactorError('invalid_code');
    }
    const codes = this.recoveryCodes.generate();
    // The user's other grants end in the same transaction as the confirmation: a factor is
    // never on while a password-level grant it should have ended survives.
    const confirmed = await this.store.confirm(userId, stored.secretCiphertext, step, codes.map((c) => this.recoveryCodes.hash(c)), (manager) =>
      this.grants.revokeForUserExceptGrantOf(manager, userId, callerJti),
    );
    if (!confirmed) throw new SecondFactorError('enrollment_not_started'); // restarted or confirmed meanwhile
    await this.revocations.sharePending().catch(() => undefined); // best effort: the outbox publishes what Redis missed
    this.audit.record({ type: 'mfa.enrollment.confirmed', outcome: 'success', ...self(userId), details: { method: 'totp', recovery_codes: codes.length } });
    // Sessions live in another store (Redis or PostgreSQL); after the commit, best effort: the
    // codes must reach the user, and a password-only session left behind cannot authorize
    // anyway (AuthorizationFlow asks a user with a factor for it).
    await this.sessions.revokeAllForUser(userId, { actor: { type: 'user', id: userId }, reason: 'mfa.enabled' }).catch(() => {
      this.logger.warn('second factor confirmed; ending the other sessions failed');
    });
    return codes;
  }

  /**
   * Turns the second factor off after checking a current code.
   * @throws SecondFactorError `mfa_not_enabled` or `invalid_code`; TooManyRequestsError past the limit.
   */
  async disable(userId: string, code: string): Promise<SecondFactorStatus> {
    if (!(await this.verifier.required(userId))) throw new SecondFactorError('mfa_not_enabled');
    if (!(await this.verifier.verifyTotp(userId, code, 'disable'))) throw new SecondFactorError('invalid_code');
    await this.store.remove(userId);
    this.audit.record({ type: 'mfa.disabled', outcome: 'success', ...self(userId), details: { method: 'totp', by: 'user' } });
    return this.status(userId);
  }

  /**
   * Replaces the user's recovery codes with ten new ones (shown once) after checking a
   * current authenticator code; the old codes stop working.
   * @throws SecondFactorError `mfa_not_enabled` or `invalid_code`; TooManyRequestsError past the limit.
   */
  async regenerateRecoveryCodes(userId: string, code: string): Promise<string[]> {
    if (!(await this.verifier.required(userId))) throw new SecondFactorError('mfa_not_enabled');
    if (!(await this.verifier.verifyTotp(userId, code, 'recovery_codes'))) throw new SecondFactorError('invalid_code');
    const codes = this.recoveryCodes.generate();
    if (!(await this.store.replaceRecoveryCodesOf(userId, codes.map((c) => this.recoveryCodes.hash(c))))) throw new SecondFactorError('mfa_not_enabled');
    this.audit.record({ type: 'mfa.recovery_codes.regenerated', outcome: 'success', ...self(userId), details: { recovery_codes: codes.length } });
    return codes;
  }

  /** An administrator removes a user's second factor (lost device and codes); false when there was none. */
  async reset(userId: string, actor: AuditParty): Promise<boolean> {
    const removed = await this.store.remove(userId);
    if (removed) this.audit.record({ type: 'mfa.disabled', outcome: 'success', actor, subject: { type: 'user', id: userId }, details: { method: 'totp', by: 'admin' } });
    return removed;
  }
}

function self(userId: string): { actor: AuditParty; subject: AuditParty } {
  const party: AuditParty = { type: 'user', id: userId };
  return { actor: party, subject: party };
}
