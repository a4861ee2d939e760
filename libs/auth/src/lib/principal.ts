/** Who a verified access token speaks for (RFC 9068 claims, typed). */
export interface Principal {
  /** The user, or the client for client-credentials tokens. */
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  readonly roles: readonly string[];
  /** Authentication methods (RFC 8176): `pwd`, `otp`, ... */
  readonly amr: readonly string[];
  /** When the user authenticated, seconds since the epoch. */
  readonly authTime: number | undefined;
  readonly tokenId: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  /** Every claim of the token, as issued. */
  readonly claims: Readonly<Record<string, unknown>>;
}
