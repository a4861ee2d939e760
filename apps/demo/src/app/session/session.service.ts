import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ResponseBodyError } from 'openid-client';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { GrantedTokens, SignedInUser } from '../oidc/relying-party.service';
import { RelyingPartyService } from '../oidc/relying-party.service';
import { Clock } from './clock';
import type { PendingLogin, SessionRecord } from './session-record';
import { SessionStore } from './session-store.interface';

/** A started sign-in must come back within 10 min. */
export const PENDING_LOGIN_TTL_MS = 10 * 60_000;
/** Refresh an access token this long before it expires, so it is not refused in flight. 30 s. */
export const REFRESH_MARGIN_MS = 30_000;
/** How long one instance may hold a session's refresh lease before another may try. 10 s. */
const REFRESH_LEASE_MS = 10_000;
/** How often an instance that lost the lease looks for the winner's new token. */
const REFRESH_POLL_MS = 50;
/**
 * Rewrite `lastSeenAt` at most this often (or every half idle timeout, when that is
 * shorter): the idle timeout need not be exact to the second, but an active session must
 * not end at a short one.
 */
const TOUCH_INTERVAL_MS = 60_000;
const ID_BYTES = 32; // OWASP ASVS 5.0 V7.2.3: at least 128 bits of entropy; 256 here

/** A pending sign-in as stored: the flow's secrets and when it started (ms since the epoch). */
interface StoredPendingLogin extends PendingLogin {
  readonly startedAt: number;
}

/** What ending a session leaves for the OP's end-session endpoint. */
export interface EndedSession {
  /** The session's ID token, for `id_token_hint` (RP-Initiated Logout 1.0 s2). */
  readonly idToken?: string;
  /** True when auth-server could not be reached to revoke the refresh token. */
  readonly issuerUnreachable: boolean;
}

/** A session as the pages see it: who is signed in, and the sign-out form's CSRF token. */
export interface SessionView {
  readonly sub: string;
  readonly email?: string;
  readonly csrfToken: string;
}

/**
 * The demo's server-side sessions (backend for frontend): pending sign-ins, sessions
 * with their tokens, idle and absolute timeouts, single-flight refresh, and sign-out.
 * Store keys are SHA-256 hashes of the handles, so the store never holds a cookie value.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger('DemoSession');
  private readonly refreshing = new Map<string, Promise<string | undefined>>();
  /** Names of what page flows keep beside a session ({@link attach}): removed with the session. */
  private readonly attachmentNames = new Set<string>();

  /** OWASP ASVS 5.0 V7.3.1: sessions end after inactivity (`SESSION_IDLE_TTL`, 30 min by default). */
  private readonly idleMs: number;
  /** OWASP ASVS 5.0 V7.3.2: and after an absolute lifetime, whatever the activity (`SESSION_ABSOLUTE_TTL`, 12 h). */
  readonly absoluteMs: number;

  constructor(
    @Inject(SessionStore) private readonly store: SessionStore,
    private readonly relyingParty: RelyingPartyService,
    private readonly clock: Clock,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.idleMs = config.sessions.idle * 1000;
    this.absoluteMs = config.sessions.absolute * 1000;
  }

  /** Stores a pending sign-in and returns its random handle (the login cookie's value). */
  async startLogin(pending: PendingLogin): Promise<string> {
    const handle = newHandle();
    const stored: StoredPendingLogin = { ...pending, startedAt: this.clock.now() };
    await this.store.set(loginKey(handle), JSON.stringify(stored), PENDING_LOGIN_TTL_MS);
    return handle;
  }

  /** The pending sign-in of `handle`, removed in the same step: a callback is used once. */
  async takeLogin(handle: string): Promise<PendingLogin | undefined> {
    const value = await this.store.take(loginKey(handle));
    const stored = value === undefined ? undefined : parseJson<StoredPendingLogin>(value);
    // The store's own expiry runs on its clock (Redis); the demo's clock decides as well.
    if (stored === undefined || this.clock.now() - stored.startedAt >= PENDING_LOGIN_TTL_MS) return undefined;
    return {
      state: stored.state,
      nonce: stored.nonce,
      codeVerifier: stored.codeVerifier,
      ...(typeof stored.returnTo === 'string' ? { returnTo: stored.returnTo } : {}),
    };
  }

  /** Creates a session for a completed sign-in; returns its fresh random id (session fixation, CWE-384). */
  async create(user: SignedInUser, tokens: GrantedTokens): Promise<string> {
    const id = newHandle();
    const now = this.clock.now();
    const record: SessionRecord = { ...user, ...tokens, csrfToken: newHandle(), createdAt: now, lastSeenAt: now };
    await this.save(id, record);
    return id;
  }

  /** The live session of `id` for display, or undefined. Extends the idle timeout. */
  async find(id: string): Promise<SessionView | undefined> {
    const record = await this.load(id);
    return record && { sub: record.sub, ...(record.email ? { email: record.email } : {}), csrfToken: record.csrfToken };
  }

  /**
   * A usable access token for session `id`, refreshed first when it expires within
   * {@link REFRESH_MARGIN_MS}. Undefined when there is no live session (or its refresh token
   * is dead, which ends it). This is libs/auth's `cookie.resolve`.
   * @throws when the store or auth-server cannot answer and the current token has expired.
   */
  async accessTokenFor(id: string): Promise<string | undefined> {
    const record = await this.load(id);
    if (record === undefined) return undefined;
    if (record.accessTokenExpiresAt - this.clock.now() > REFRESH_MARGIN_MS) return record.accessToken;
    return this.singleFlight(id, () => this.refresh(id));
  }

  /**
   * A new access token for session `id` after a resource refused `rejected` as invalid
   * (RFC 6750 s3.1 `invalid_token`) although it had not expired by the demo's clock: one
   * refresh, whatever the token's remaining lifetime, unless another request already
   * replaced it. Undefined when there is no live session or the refresh token is dead (which
   * ends the session): the user has to sign in again.
   * @throws when the store or auth-server cannot answer.
   */
  async accessTokenAfterRejection(id: string, rejected: string): Promise<string | undefined> {
    return this.singleFlight(id, () => this.refresh(id, rejected));
  }

  /**
   * Declares `name` as a name used with {@link attach}, at start-up (every instance the same):
   * ending a session then removes what is kept under it, whichever instance wrote it.
   */
  declareAttachment(name: string): void {
    this.attachmentNames.add(name);
  }

  /**
   * Keeps `value` under `name` beside session `id`, for at most `ttlMs` and never beyond the
   * session's absolute lifetime: short-lived server-side state of one page flow (such as a
   * pending authenticator enrollment) that must not travel through the browser. A separate
   * store entry, so a concurrent refresh rewriting the session cannot drop it.
   * @returns false when there is no live session.
   */
  async attach(id: string, name: string, value: string, ttlMs: number): Promise<boolean> {
    const record = await this.load(id);
    if (record === undefined) return false;
    const ttl = Math.min(ttlMs, record.createdAt + this.absoluteMs - this.clock.now());
    if (ttl <= 0) return false;
    this.attachmentNames.add(name);
    await this.store.set(attachmentKey(id, name), value, ttl);
    return true;
  }

  /** The value attached under `name` to the live session `id`, or undefined. */
  async attachment(id: string, name: string): Promise<string | undefined> {
    if ((await this.load(id)) === undefined) return undefined;
    return this.store.get(attachmentKey(id, name));
  }

  /** Removes what is attached under `name` to session `id`. */
  async detach(id: string, name: string): Promise<void> {
    await this.store.delete(attachmentKey(id, name));
  }

  /** True when `candidate` is the sign-out form token of the session `id` (constant-time compare). */
  async csrfTokenMatches(id: string, candidate: string): Promise<boolean> {
    const record = await this.load(id);
    if (record === undefined) return false;
    const expected = Buffer.from(record.csrfToken);
    const given = Buffer.from(candidate);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /**
   * Ends session `id`: deletes it and what is attached to it, then revokes its refresh token
   * at auth-server (RFC 7009). A failed revocation still ends the local session, with a
   * warning that names no token.
   * @returns the session's ID token, for `id_token_hint` at the OP's end-session endpoint,
   *   and whether auth-server was unreachable (an error that is not an OAuth error response).
   */
  async end(id: string): Promise<EndedSession> {
    const record = await this.load(id);
    await this.store.delete(sessionKey(id));
    await Promise.all([...this.attachmentNames].map((name) => this.store.delete(attachmentKey(id, name))));
    let issuerUnreachable = false;
    if (record?.refreshToken !== undefined) {
      try {
        await this.relyingParty.revokeRefreshToken(record.refreshToken);
      } catch (error) {
        issuerUnreachable = !(error instanceof ResponseBodyError);
        this.logger.warn(`refresh token revocation failed at sign-out (${describeError(error)}); the local session is ended`);
      }
    }
    return { ...(record?.idToken ? { idToken: record.idToken } : {}), issuerUnreachable };
  }

  /**
   * Single flight: a rotated refresh token used twice makes auth-server revoke the whole
   * family (RFC 9700 s4.14.2), so concurrent requests of one session share one refresh.
   */
  private singleFlight(id: string, refresh: () => Promise<string | undefined>): Promise<string | undefined> {
    let flight = this.refreshing.get(id);
    if (flight === undefined) {
      flight = refresh().finally(() => this.refreshing.delete(id));
      this.refreshing.set(id, flight);
    }
    return flight;
  }

  /**
   * Refreshes the session's access token when it expires within the margin or, with
   * `rejected`, when it is still that refused token.
   */
  private async refresh(id: string, rejected?: string): Promise<string | undefined> {
    // The in-process flight covers one instance; the store lease covers several sharing Redis.
    const lease = `refresh:${hashed(id)}`;
    if (!(await this.store.setIfAbsent(lease, '1', REFRESH_LEASE_MS))) return this.awaitRefreshElsewhere(id, rejected);
    try {
      return await this.refreshHoldingLease(id, rejected);
    } finally {
      await this.store.delete(lease).catch(() => undefined);
    }
  }

  /** Another instance refreshes this session: wait for its result instead of burning the token twice. */
  private async awaitRefreshElsewhere(id: string, rejected: string | undefined): Promise<string | undefined> {
    const deadline = Date.now() + REFRESH_LEASE_MS;
    for (;;) {
      const record = await this.load(id);
      if (record === undefined) return undefined;
      if (!this.needsRefresh(record, rejected)) return record.accessToken;
      if (Date.now() >= deadline) {
        if (rejected === undefined && record.accessTokenExpiresAt > this.clock.now()) return record.accessToken;
        throw new Error('session refresh still in progress elsewhere');
      }
      await new Promise((resolve) => setTimeout(resolve, REFRESH_POLL_MS));
    }
  }

  private needsRefresh(record: SessionRecord, rejected: string | undefined): boolean {
    return record.accessToken === rejected || record.accessTokenExpiresAt - this.clock.now() <= REFRESH_MARGIN_MS;
  }

  private async refreshHoldingLease(id: string, rejected: string | undefined): Promise<string | undefined> {
    const record = await this.load(id);
    if (record === undefined) return undefined;
    const now = this.clock.now();
    if (!this.needsRefresh(record, rejected)) return record.accessToken;
    if (record.refreshToken === undefined) return rejected === undefined ? this.expire(id, record, now) : this.drop(id);
    let tokens: GrantedTokens;
    try {
      tokens = await this.relyingParty.refresh(record.refreshToken);
    } catch (error) {
      // RFC 6749 s5.2: invalid_grant means the refresh token is dead; the session ends with it.
      if (error instanceof ResponseBodyError && error.error === 'invalid_grant') return this.drop(id);
      this.logger.warn(`token refresh failed (${describeError(error)})`);
      // A token that was refused already is of no use, however long it has left.
      if (rejected === undefined && record.accessTokenExpiresAt > now) return record.accessToken;
      throw error;
    }
    await this.save(id, { ...record, ...tokens, refreshToken: tokens.refreshToken ?? record.refreshToken, idToken: tokens.idToken ?? record.idToken, lastSeenAt: now });
    return tokens.accessToken;
  }

  private async expire(id: string, record: SessionRecord, now: number): Promise<string | undefined> {
    if (record.accessTokenExpiresAt > now) return record.accessToken;
    return this.drop(id);
  }

  private async drop(id: string): Promise<undefined> {
    await this.store.delete(sessionKey(id));
    return undefined;
  }

  private async load(id: string): Promise<SessionRecord | undefined> {
    const value = await this.store.get(sessionKey(id));
    const record = value === undefined ? undefined : parseJson<SessionRecord>(value);
    if (record === undefined) return undefined;
    const now = this.clock.now();
    if (now - record.lastSeenAt >= this.idleMs || now - record.createdAt >= this.absoluteMs) {
      await this.store.delete(sessionKey(id));
      return undefined;
    }
    if (now - record.lastSeenAt >= Math.min(TOUCH_INTERVAL_MS, this.idleMs / 2)) {
      const touched = { ...record, lastSeenAt: now };
      await this.save(id, touched);
      return touched;
    }
    return record;
  }

  private async save(id: string, record: SessionRecord): Promise<void> {
    const ttl = Math.min(record.lastSeenAt + this.idleMs, record.createdAt + this.absoluteMs) - this.clock.now();
    if (ttl <= 0) return this.store.delete(sessionKey(id));
    await this.store.set(sessionKey(id), JSON.stringify(record), ttl);
  }
}

function newHandle(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}

function hashed(handle: string): string {
  return createHash('sha256').update(handle).digest('base64url');
}

function sessionKey(id: string): string {
  return `session:${hashed(id)}`;
}

function attachmentKey(id: string, name: string): string {
  return `session:${hashed(id)}:${name}`;
}

function loginKey(handle: string): string {
  return `login:${hashed(handle)}`;
}

function parseJson<T>(value: string): T | undefined {
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

/** An error's class and OAuth code, never its message (which may echo request data). */
function describeError(error: unknown): string {
  if (error instanceof ResponseBodyError) return `${error.status} ${error.error}`;
  return (error as Error)?.name ?? 'unknown error';
}
