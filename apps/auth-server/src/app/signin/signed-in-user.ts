import { Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { OAuthError } from '../oauth/oauth-error';
import { readCookie, sessionCookieName } from '../sessions/session-cookie';
import { SessionService, type UserSession } from '../sessions/session.service';
import type { UserEntity } from '../users/user.entity';
import { UserService } from '../users/user.service';

/** A browser's live session and its user, who is not disabled. */
export interface SignedInUser {
  readonly session: UserSession;
  readonly user: UserEntity;
}

/** What a session cookie value can look like; anything else is not looked up. */
const COOKIE_VALUE = /^[A-Za-z0-9._~+/=-]{1,512}$/;

/**
 * Resolves the session cookie of a request to a signed-in user. A cookie naming no live
 * session, a deleted user or a disabled user means "not signed in" (OWASP ASVS 5.0 V7.4.2:
 * disabling an account ends its sessions' effect).
 */
@Injectable()
export class SignedInUsers {
  private readonly cookieName: string;

  constructor(
    @InjectAppConfig() config: AppConfig,
    private readonly sessions: SessionService,
    private readonly users: UserService,
  ) {
    this.cookieName = sessionCookieName(config.issuer);
  }

  /** The session cookie's value in a `Cookie` header, when it is present once and well formed. */
  sessionCookie(cookieHeader: string | string[] | undefined): string | undefined {
    const value = readCookie(cookieHeader, this.cookieName);
    return value !== undefined && COOKIE_VALUE.test(value) ? value : undefined;
  }

  /** The signed-in user of a request, or undefined. */
  async resolve(cookieHeader: string | string[] | undefined): Promise<SignedInUser | undefined> {
    const cookie = this.sessionCookie(cookieHeader);
    if (cookie === undefined) return undefined;
    const session = await this.sessions.resolve(cookie);
    if (!session) return undefined;
    const user = await this.users.get(session.userId).catch((error: unknown) => {
      if (error instanceof OAuthError) return undefined;
      throw error;
    });
    return user && !user.disabled ? { session, user } : undefined;
  }
}
