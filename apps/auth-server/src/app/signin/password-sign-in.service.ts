import { createHmac, hkdfSync } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { RequestContext } from '@authkit/observability';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { serializeCookie, sessionCookieName } from '../sessions/session-cookie';
import { SessionService } from '../sessions/session.service';
import { UserService } from '../users/user.service';
import type { SignedInUser } from './signed-in-user';

/** A successful sign-in: the new session, its user, and the `Set-Cookie` value that carries it. */
export interface PasswordSignInResult extends SignedInUser {
  readonly setCookie: string;
}

/**
 * Sign-in with email and password. Unknown email, wrong password and disabled account are
 * one outcome at one cost (`UserService.verifyCredentials`). Success always starts a new
 * session, ending the one the browser had (session fixation, OWASP ASVS 5.0 V7.2.4).
 * Audit: `auth.login.succeeded` with the user as actor; `auth.login.failed` with a keyed
 * hash of the submitted email, never the email itself (it may be a mistyped password) and
 * never the password.
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
    this.accountKey = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'authkit auth-server audit account v1', 32));
  }

  /** Checks the credentials and starts a session; undefined when they do not match. */
  async signIn(email: string, password: string, previousCookie: string | undefined): Promise<PasswordSignInResult | undefined> {
    const user = await this.users.verifyCredentials(email, password);
    if (!user) {
      this.audit.record({ type: 'auth.login.failed', outcome: 'failure', details: { method: 'pwd', account_hash: this.accountHash(email) } });
      return undefined;
    }
    const context = RequestContext.current();
    const started = await this.sessions.start(user.id, ['pwd'], { ip: context?.ip, userAgent: context?.userAgent }, previousCookie);
    this.audit.record({ type: 'auth.login.succeeded', outcome: 'success', actor: { type: 'user', id: user.id }, details: { method: 'pwd' } });
    const issuer = this.config.issuer;
    return { session: started.session, user, setCookie: serializeCookie(issuer, sessionCookieName(issuer), started.cookieValue) };
  }

  /** Lets operators see repeated failures against one account without storing what was typed. */
  private accountHash(email: string): string {
    return createHmac('sha256', this.accountKey).update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
  }
}
