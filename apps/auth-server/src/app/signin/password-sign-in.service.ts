import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { RequestContext } from '@authkit/observability';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { serializeCookie, sessionCookieName } from '../sessions/session-cookie';
import { SessionService } from '../sessions/session.service';
import { UserService } from '../users/user.service';
import type { UserEntity } from '../users/user.entity';
import type { SignedInUser } from './signed-in-user';
import { deriveKey } from '../crypto/derived-key';

/** A successful sign-in: the new session, its user, and the `Set-Cookie` value that carries it. */
export interface PasswordSignInResult extends SignedInUser {
  readonly setCookie: string;
}

/** What a password sign-in led to: no match, a second factor to ask for, or a session. */
export type PasswordSignInOutcome =
  | { readonly kind: 'failed' }
  | { readonly kind: 'second_factor'; readonly user: UserEntity }
  | ({ readonly kind: 'signed_in' } & PasswordSignInResult);

/** The second factor a sign-in was completed with. */
export type SecondFactorMethod = 'totp' | 'recovery_code';

/**
 * Sign-in with email and password, then the second factor when the user has one. Unknown
 * email, wrong password and disabled account are one outcome at one cost
 * (`UserService.verifyCredentials`). Only a complete sign-in starts a session, and it is
 * always a new one, ending the one the browser had (session fixation, OWASP ASVS 5.0
 * V7.2.4); its `amr` is `["pwd"]`, or `["pwd","otp"]` after a second factor (RFC 8176:
 * a TOTP code and a single-use recovery code are both one-time passwords).
 * Audit: `auth.login.succeeded` with the user as actor and the methods used;
 * `auth.login.second_factor_required` after a right password of a user with a second
 * factor (a stolen password shows even if the second factor stops the attacker);
 * `auth.login.failed` with a keyed hash of the submitted email, never the email itself (it
 * may be a mistyped password) and never the password.
 */
@Injectable()
export class PasswordSignIn {
  private readonly accountKey: Buffer;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    @Inject(KeyEncryptionKey) kek: Buffer,
    private readonly users: UserService,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
  ) {
    this.accountKey = deriveKey(kek, 'authkit auth-server audit account v1');
  }

  /**
   * Checks the credentials; starts a session unless `secondFactorRequired` says the user
   * must still give a second factor.
   */
  async signIn(
    email: string,
    password: string,
    previousCookie: string | undefined,
    secondFactorRequired: (user: UserEntity) => Promise<boolean>,
  ): Promise<PasswordSignInOutcome> {
    const user = await this.users.verifyCredentials(email, password);
    if (!user) {
      this.audit.record({ type: 'auth.login.failed', outcome: 'failure', details: { method: 'pwd', account_hash: this.accountHash(email) } });
      return { kind: 'failed' };
    }
    if (await secondFactorRequired(user)) {
      this.audit.record({ type: 'auth.login.second_factor_required', outcome: 'success', actor: { type: 'user', id: user.id }, details: { method: 'pwd' } });
      return { kind: 'second_factor', user };
    }
    return { kind: 'signed_in', ...(await this.startSession(user, ['pwd'], previousCookie, {})) };
  }

  /** Completes a sign-in whose second factor was just verified: a new session with `amr` `["pwd","otp"]`. */
  completeWithSecondFactor(user: UserEntity, method: SecondFactorMethod, previousCookie: string | undefined): Promise<PasswordSignInResult> {
    return this.startSession(user, ['pwd', 'otp'], previousCookie, { second_factor: method });
  }

  private async startSession(user: UserEntity, amr: readonly string[], previousCookie: string | undefined, details: Record<string, string>): Promise<PasswordSignInResult> {
    const context = RequestContext.current();
    const started = await this.sessions.start(user.id, amr, { ip: context?.ip, userAgent: context?.userAgent }, previousCookie);
    this.audit.record({ type: 'auth.login.succeeded', outcome: 'success', actor: { type: 'user', id: user.id }, details: { method: 'pwd', ...details } });
    const issuer = this.config.issuer;
    return { session: started.session, user, setCookie: serializeCookie(issuer, sessionCookieName(issuer), started.cookieValue) };
  }

  /** Lets operators see repeated failures against one account without storing what was typed. */
  private accountHash(email: string): string {
    return createHmac('sha256', this.accountKey).update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
  }
}
