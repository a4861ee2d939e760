import { Injectable } from '@nestjs/common';

/** A sign-in session at auth-server, as services and the admin API see it. */
export interface UserSession {
  /** Public identifier for listing and revocation (a UUID); never the cookie value. */
  readonly id: string;
  readonly userId: string;
  /** When the user last authenticated, in seconds since the epoch (OIDC `auth_time`). */
  readonly authTime: number;
  /** Authentication methods of that sign-in (RFC 8176): `["pwd"]`, later `["pwd","otp"]`. */
  readonly amr: readonly string[];
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

/** Where a session was started from, for the user's session list. */
export interface SessionOrigin {
  readonly ip?: string;
  readonly userAgent?: string;
}

/** A session just created, with the cookie value that carries it (shown once). */
export interface StartedSession {
  readonly cookieValue: string;
  readonly session: UserSession;
}

/** Server-side sessions. Implemented in the sessions issue. */
@Injectable()
export class SessionService {
  /**
   * Starts a session after a successful sign-in. A fresh id every time (session fixation,
   * OWASP ASVS 5.0 V7.2.4); `previousCookie`, if it names a live session, is ended first.
   */
  async start(_userId: string, _amr: readonly string[], _origin: SessionOrigin, _previousCookie?: string): Promise<StartedSession> {
    throw new Error('not implemented');
  }

  /** The live session a cookie value names, touching its idle timer; undefined otherwise. */
  async resolve(_cookieValue: string | undefined): Promise<UserSession | undefined> {
    throw new Error('not implemented');
  }

  /** Raises the authentication level (a second factor): new id, new `amr`, new `auth_time`. */
  async elevate(_cookieValue: string, _amr: readonly string[]): Promise<StartedSession> {
    throw new Error('not implemented');
  }

  /** Ends the session a cookie names (sign-out). */
  async end(_cookieValue: string | undefined): Promise<void> {
    throw new Error('not implemented');
  }

  async listForUser(_userId: string): Promise<UserSession[]> {
    throw new Error('not implemented');
  }

  /** Revokes one of a user's sessions; false when there is no such live session. */
  async revoke(_userId: string, _sessionId: string): Promise<boolean> {
    throw new Error('not implemented');
  }

  /** Revokes every session of a user; returns how many were live. */
  async revokeAllForUser(_userId: string): Promise<number> {
    throw new Error('not implemented');
  }
}
