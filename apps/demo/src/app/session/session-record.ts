/**
 * A signed-in browser session of the demo, kept server-side (backend for frontend): the
 * tokens never reach the browser, which holds only the random session id in a cookie.
 */
export interface SessionRecord {
  /** The user's subject (ID token `sub`). */
  readonly sub: string;
  /** The user's email, when the ID token carries one. */
  readonly email?: string;
  /** The current RFC 9068 access token. */
  readonly accessToken: string;
  /** When the access token expires, in ms since the epoch. */
  readonly accessTokenExpiresAt: number;
  /** The current refresh token (rotated on every refresh). */
  readonly refreshToken?: string;
  /**
   * The latest ID token, kept only as `id_token_hint` for RP-Initiated Logout 1.0 s2 at
   * sign-out; stored with the other tokens (encrypted in Redis), never sent to the page.
   */
  readonly idToken?: string;
  /** Synchronizer token of the sign-out form (OWASP CSRF cheat sheet). */
  readonly csrfToken: string;
  /** Sign-in time, in ms since the epoch: the absolute lifetime counts from here. */
  readonly createdAt: number;
  /** Last use, in ms since the epoch: the idle timeout counts from here. */
  readonly lastSeenAt: number;
}

/** A sign-in that was started and awaits its callback: the per-request secrets of the flow. */
export interface PendingLogin {
  /** RFC 6749 s10.12 CSRF protection of the redirect. */
  readonly state: string;
  /** OIDC Core s3.1.2.1: binds the ID token to this sign-in. */
  readonly nonce: string;
  /** RFC 7636 s4.1 code verifier; only its S256 challenge leaves the server. */
  readonly codeVerifier: string;
  /**
   * Where the callback sends the browser instead of `/`: one of the sign-in's allow-listed
   * return paths, checked at the start and again at the callback (RFC 9700 s4.11).
   */
  readonly returnTo?: string;
}
