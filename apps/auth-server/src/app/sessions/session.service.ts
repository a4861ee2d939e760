import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AuditService, type AuditParty } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { hashOpaqueToken, newOpaqueToken } from '../crypto/opaque-token';
import { SessionClock } from './session-clock';
import { SessionRequiredError } from './session-errors';
import { SessionStore, type StoredSession } from './session-store.interface';
import { isUuid } from '../uuid-form';

/**
 * The idle expiry slides at most once per this many milliseconds, so that resolving a
 * session on every page is a read, not a write. The cost: a session may idle out up to a
 * minute early, never late (OWASP ASVS 5.0 V7.3.1).
 */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;
const PURGE_EVERY_MS = 3_600_000; // expired sessions are dropped at boot and hourly
const USER_AGENT_MAX_LENGTH = 256; // characters kept; the rest is the client's to invent
const IP_MAX_LENGTH = 64; // longer than any IPv6 text form with a zone
/** The shape of `newOpaqueToken()`: 32 bytes, base64url. Anything else is not ours. */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const SYSTEM: AuditParty = { type: 'system', id: 'auth-server' };

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

/** Who revoked sessions, and why, for the audit log. */
export interface SessionRevocation {
  /** Defaults to the system. */
  readonly actor?: AuditParty;
  /** A short stable word for the audit row, e.g. `user.disabled`, `password.changed`. */
  readonly reason?: string;
}

/**
 * Server-side sign-in sessions (OWASP ASVS 5.0 V7). The cookie carries a 256-bit random
 * value; the store keeps only its SHA-256, so a leaked store yields no usable cookie
 * (V7.2.3). A session dies at its idle or its absolute expiry, whichever is first (V7.3.1,
 * V7.3.2), on sign-out (V7.4.1), and when an administrator revokes it, the account is
 * disabled or the password changes (V7.4.3). Every change of authentication level gets a
 * new id and a new cookie value (V7.2.4, session fixation). The store is Redis or
 * PostgreSQL (see {@link SessionStore}); when it cannot answer, every method rejects
 * (fail closed) with `SessionStoreUnavailableError` (503).
 */
@Injectable()
export class SessionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(SessionStore) private readonly store: SessionStore,
    private readonly audit: AuditService,
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly clock: SessionClock,
  ) {}

  /**
   * Starts a session after a successful sign-in. A fresh id every time (session fixation,
   * OWASP ASVS 5.0 V7.2.4); `previousCookie`, if it names a live session, is ended first.
   */
  async start(userId: string, amr: readonly string[], origin: SessionOrigin, previousCookie?: string): Promise<StartedSession> {
    const previous = await this.endByCookie(previousCookie, 'replaced');
    return this.create(userId, amr, origin, previous ? { replaces: previous.id } : {});
  }

  /**
   * The live session a cookie value names, sliding its idle expiry (never past the
   * absolute one); undefined for a missing, malformed, unknown, expired, ended or revoked
   * session. The slide is written at most once per {@link SESSION_TOUCH_INTERVAL_MS}.
   */
  async resolve(cookieValue: string | undefined): Promise<UserSession | undefined> {
    if (!isCookieValue(cookieValue)) return undefined;
    const hash = hashOpaqueToken(cookieValue);
    const now = this.clock.now();
    const found = await this.store.findLive(hash, now);
    if (!found) return undefined;
    if (now - found.lastSeenAt < SESSION_TOUCH_INTERVAL_MS) return toView(found);
    const touched: StoredSession = { ...found, lastSeenAt: now, idleExpiresAt: Math.min(now + this.config.sessions.idle * 1000, found.absoluteExpiresAt) };
    await this.store.touch(hash, touched);
    return toView(touched);
  }

  /**
   * Raises the authentication level (a second factor): new id, new cookie value, new
   * `amr` and `auth_time`, same user and origin; the old session ends (OWASP ASVS 5.0
   * V7.2.4: a new session token on every change of authentication level).
   *
   * @throws SessionRequiredError (401 `login_required`) when the cookie names no live
   *   session, including when a concurrent call already elevated it.
   */
  async elevate(cookieValue: string, amr: readonly string[]): Promise<StartedSession> {
    const old = await this.endByCookie(cookieValue, 'elevated');
    if (!old) throw new SessionRequiredError();
    return this.create(old.userId, amr, { ip: old.ip, userAgent: old.userAgent }, { elevated_from: old.id });
  }

  /** Ends the session a cookie names (sign-out). Nothing happens for any other value. */
  async end(cookieValue: string | undefined): Promise<void> {
    await this.endByCookie(cookieValue, 'signed_out');
  }

  /** The user's live sessions, newest first. */
  async listForUser(userId: string): Promise<UserSession[]> {
    if (!isUuid(userId)) return [];
    return (await this.store.listLive(userId, this.clock.now())).map(toView);
  }

  /** Revokes one of a user's sessions; false when there is no such live session. */
  async revoke(userId: string, sessionId: string, actor: AuditParty = SYSTEM): Promise<boolean> {
    if (!isUuid(userId) || !isUuid(sessionId)) return false;
    const ended = await this.store.endById(userId, sessionId, this.clock.now());
    if (!ended) return false;
    this.audit.record({ type: 'session.revoked', outcome: 'success', actor, subject: { type: 'user', id: userId }, details: { session: ended.id } });
    return true;
  }

  /** Revokes every session of a user; returns how many were live. */
  async revokeAllForUser(userId: string, by: SessionRevocation = {}): Promise<number> {
    if (!isUuid(userId)) return 0;
    const ended = await this.store.endAllForUser(userId, this.clock.now());
    if (ended.length > 0) {
      this.audit.record({
        type: 'session.revoked',
        outcome: 'success',
        actor: by.actor ?? SYSTEM,
        subject: { type: 'user', id: userId },
        details: { sessions: ended.map((s) => s.id), count: ended.length, ...(by.reason ? { reason: by.reason } : {}) },
      });
    }
    return ended.length;
  }

  /** Drops sessions past their expiry (the Redis store lets keys expire by themselves). */
  purgeExpired(): Promise<void> {
    return this.store.purgeExpired();
  }

  onApplicationBootstrap(): void {
    void this.purgeExpired().catch(() => undefined);
    this.timer = setInterval(() => void this.purgeExpired().catch(() => undefined), PURGE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async create(userId: string, amr: readonly string[], origin: SessionOrigin, links: Record<string, string>): Promise<StartedSession> {
    const now = this.clock.now();
    const absoluteExpiresAt = now + this.config.sessions.absolute * 1000;
    const session: StoredSession = {
      id: randomUUID(),
      userId,
      authTime: Math.floor(now / 1000),
      amr: [...new Set(amr)],
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: Math.min(now + this.config.sessions.idle * 1000, absoluteExpiresAt),
      absoluteExpiresAt,
      ip: origin.ip?.slice(0, IP_MAX_LENGTH) || undefined,
      userAgent: origin.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) || undefined,
    };
    const cookieValue = newOpaqueToken();
    await this.store.create(hashOpaqueToken(cookieValue), session);
    const self: AuditParty = { type: 'user', id: userId };
    this.audit.record({ type: 'session.created', outcome: 'success', actor: self, subject: self, details: { session: session.id, amr: [...session.amr], ...links } });
    return { cookieValue, session: toView(session) };
  }

  private async endByCookie(cookieValue: string | undefined, reason: 'signed_out' | 'replaced' | 'elevated'): Promise<StoredSession | undefined> {
    if (!isCookieValue(cookieValue)) return undefined;
    const ended = await this.store.endByHash(hashOpaqueToken(cookieValue), this.clock.now());
    if (ended) {
      const self: AuditParty = { type: 'user', id: ended.userId };
      this.audit.record({ type: 'session.ended', outcome: 'success', actor: self, subject: self, details: { session: ended.id, reason } });
    }
    return ended;
  }
}

function isCookieValue(value: string | undefined): value is string {
  return typeof value === 'string' && COOKIE_VALUE.test(value);
}

function toView(s: StoredSession): UserSession {
  return {
    id: s.id,
    userId: s.userId,
    authTime: s.authTime,
    amr: [...s.amr],
    createdAt: new Date(s.createdAt),
    lastSeenAt: new Date(s.lastSeenAt),
    idleExpiresAt: new Date(s.idleExpiresAt),
    absoluteExpiresAt: new Date(s.absoluteExpiresAt),
    ip: s.ip,
    userAgent: s.userAgent,
  };
}
