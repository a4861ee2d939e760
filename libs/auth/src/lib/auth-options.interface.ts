import type { KeyObject } from 'node:crypto';
import type { RevocationStore } from './revocation/revocation-store.interface';

/** JWS algorithms a resource server may accept. Symmetric algorithms and `none` are never offered. */
export type AcceptedAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

/** How revoked tokens are recognised (see the README: revocation strategies). */
export type RevocationOptions =
  /** Trust short-lived tokens until `exp`. */
  | { readonly strategy: 'none' }
  /** Look the `jti` up in a store the authorization server publishes to (Redis). */
  | { readonly strategy: 'shared-store'; readonly store: RevocationStore }
  /** Ask the authorization server (RFC 7662), caching answers briefly. */
  | {
      readonly strategy: 'introspection';
      readonly clientId: string;
      readonly clientSecret: string;
      /** How the resource server authenticates at the introspection endpoint. Default `client_secret_basic`. */
      readonly authMethod?: 'client_secret_basic' | 'client_secret_post';
      /** How long an "active" answer is reused, in ms. Default 30,000. */
      readonly cacheTtlMs?: number;
    };

/**
 * The cookie transport of `AuthModuleOptions.cookie`. Without `resolve` the cookie holds
 * the access token itself; with it, the cookie holds an opaque session handle (a backend
 * for frontend keeps the tokens server-side) and `resolve` maps it to the access token.
 *
 * @example
 * cookie: { name: 'demo_session', allowedOrigins: ['https://demo.example'], resolve: (id) => sessions.accessTokenFor(id) }
 */
export interface CookieTransportOptions {
  /** The cookie's name, e.g. `__Host-app_session`. */
  readonly name: string;
  /** Origins whose unsafe requests (POST, PUT, ...) may carry the cookie: a CSRF defence. */
  readonly allowedOrigins: readonly string[];
  /**
   * Maps the cookie's value (a session handle) to the access token to verify. Undefined
   * means no live session: the request is treated as carrying no token (401). A rejection
   * means the session store cannot answer: the request is refused with 503 (fail closed).
   * The returned token still goes through every check (signature, `iss`, `aud`, `exp`,
   * revocation).
   */
  readonly resolve?: (cookieValue: string) => Promise<string | undefined>;
}

/** Options of `AuthModule.forRoot` / `forRootAsync`. */
export interface AuthModuleOptions {
  /** The authorization server's issuer, compared exactly with `iss` (RFC 8414 s3.3). */
  readonly issuer: string;
  /** This resource server's identifier(s); the token's `aud` must name one (RFC 9068 s4). */
  readonly audience: string | readonly string[];
  /** Accepted algorithms. Default: RS256, PS256, ES256, EdDSA. */
  readonly algorithms?: readonly AcceptedAlgorithm[];
  /** Where keys come from: the issuer's discovery document (default), a JWKS URL, or local keys. */
  readonly keys?: { readonly jwksUri?: string; readonly local?: readonly { kid: string; alg: AcceptedAlgorithm; key: KeyObject }[] };
  /** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number;
  /** Default `{ strategy: 'none' }`. */
  readonly revocation?: RevocationOptions;
  /** A revocation check that cannot run refuses the request unless this is true. Default false. */
  readonly revocationFailOpen?: boolean;
  /**
   * Also accept the token from an HTTP-only cookie. Unsafe methods then need an `Origin`
   * (or `Referer`) among `allowedOrigins`, a CSRF defence (OWASP CSRF cheat sheet).
   */
  readonly cookie?: CookieTransportOptions;
  /** Realm named in `WWW-Authenticate`. Default: the first audience. */
  readonly realm?: string;
  /** Verified tokens kept to skip repeated signature checks. Default 10,000; 0 disables. */
  readonly verifiedCacheSize?: number;
  /** Test seam: the clock, in seconds since the epoch. */
  readonly now?: () => number;
  /** Test seam: the fetch used for discovery, JWKS and introspection. */
  readonly fetch?: typeof fetch;
}
