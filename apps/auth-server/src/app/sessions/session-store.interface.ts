/**
 * A session as the store keeps it: everything {@link UserSession} shows, plus nothing
 * secret. The store is keyed by the SHA-256 of the cookie value, never the value itself.
 */
export interface StoredSession {
  /** Public identifier (UUID) for listing and revocation. */
  readonly id: string;
  readonly userId: string;
  /** Seconds since the epoch (OIDC Core 1.0 s2 `auth_time`). */
  readonly authTime: number;
  readonly amr: readonly string[];
  /** Milliseconds since the epoch, from the session clock. */
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

/**
 * Where server-side sign-in sessions live: PostgreSQL, or Redis when instances share it.
 * Every method that takes `now` (milliseconds, from the session clock) counts a session as
 * live only while `now` is before both its idle and its absolute expiry and it has not
 * ended. Implementations reject when they cannot answer, so callers fail closed.
 * The model is `@nestjs/throttler`'s storage interface: a small port, one job.
 */
export interface SessionStore {
  /** Stores a new session under the hash of its cookie value. */
  create(tokenHash: string, session: StoredSession): Promise<void>;
  /** The live session stored under `tokenHash`, or undefined. */
  findLive(tokenHash: string, now: number): Promise<StoredSession | undefined>;
  /** Slides the idle expiry of a session that has not ended; a no-op otherwise. */
  touch(tokenHash: string, session: StoredSession): Promise<void>;
  /**
   * Ends the session stored under `tokenHash` and returns it if it was live. Atomic: of
   * several concurrent calls for the same hash, at most one gets the session back.
   */
  endByHash(tokenHash: string, now: number): Promise<StoredSession | undefined>;
  /** Ends a user's session by its public id; returns it if it was live. */
  endById(userId: string, sessionId: string, now: number): Promise<StoredSession | undefined>;
  /** Ends every session of a user; returns those that were live. */
  endAllForUser(userId: string, now: number): Promise<StoredSession[]>;
  /** A user's live sessions, newest first. */
  listLive(userId: string, now: number): Promise<StoredSession[]>;
  /** Drops sessions that can no longer be used; cheap enough to run at boot and hourly. */
  purgeExpired(): Promise<void>;
}

/** Injection token of the {@link SessionStore}. */
export const SessionStore = Symbol('SessionStore');
