import type { UserSession } from './session.service';

/** A session as the admin API shows it: never the cookie value nor its hash. */
export interface SessionView {
  readonly id: string;
  readonly user_id: string;
  /** Seconds since the epoch (OIDC `auth_time`). */
  readonly auth_time: number;
  readonly amr: readonly string[];
  readonly created_at: string;
  readonly last_seen_at: string;
  readonly idle_expires_at: string;
  readonly absolute_expires_at: string;
  readonly ip: string | null;
  readonly user_agent: string | null;
}

/** The admin API's view of a session. */
export function toSessionView(session: UserSession): SessionView {
  return {
    id: session.id,
    user_id: session.userId,
    auth_time: session.authTime,
    amr: session.amr,
    created_at: session.createdAt.toISOString(),
    last_seen_at: session.lastSeenAt.toISOString(),
    idle_expires_at: session.idleExpiresAt.toISOString(),
    absolute_expires_at: session.absoluteExpiresAt.toISOString(),
    ip: session.ip ?? null,
    user_agent: session.userAgent ?? null,
  };
}
