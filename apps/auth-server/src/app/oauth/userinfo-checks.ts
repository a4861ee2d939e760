import type { UserEntity } from '../users/user.entity';
import { OAuthError } from './oauth-error';
import type { AccessTokenClaims } from './own-token.verifier';

/** RFC 6750 s2.1: `Bearer` and a b64token, nothing else. */
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/** OIDC Core s5.3.1: UserInfo needs an access token with this scope. */
export const OPENID_SCOPE = 'openid';

/**
 * The access token of the `Authorization` header (RFC 6750 s2.1; OIDC Core s5.3.1). Tokens in
 * the query or a form body (RFC 6750 s2.2, s2.3) are not accepted: they end up in logs.
 *
 * @throws OAuthError 401 with a bare `Bearer` challenge when there is no such header (RFC 6750
 *   s3.1: no error code then), `invalid_request` (400) when it is not a single Bearer token.
 */
export function bearerToken(header: string | undefined, realm: string): string {
  if (!header || !/^bearer(?:\s|$)/i.test(header)) {
    throw new OAuthError('invalid_token', 'An access token is required.', { 'WWW-Authenticate': `Bearer realm="${realm}"` });
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) {
    throw new OAuthError('invalid_request', 'The Authorization header is malformed.', {
      'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_request"`,
    });
  }
  return token;
}

/** RFC 6750 s3.1 `invalid_token` (401): expired, revoked, malformed or not ours. */
export function invalidToken(realm: string): OAuthError {
  return new OAuthError('invalid_token', 'The access token is invalid.', { 'WWW-Authenticate': `Bearer realm="${realm}", error="invalid_token"` });
}

/**
 * The token verified (ours, well formed), unexpired and not revoked.
 * @throws OAuthError `invalid_token`.
 */
export function assertTokenActive(claims: AccessTokenClaims | null, revoked: boolean, realm: string): asserts claims is AccessTokenClaims {
  if (!claims || claims.exp <= Math.floor(Date.now() / 1000) || revoked) throw invalidToken(realm);
}

/**
 * OIDC Core s5.3.1: the token must carry `openid` (a client credentials token never does:
 * `USER_ONLY_SCOPES` keeps it out) and have been issued for a user (`auth_time` present).
 * @throws OAuthError `insufficient_scope` (403, RFC 6750 s3.1).
 */
export function assertOpenidUserToken(claims: AccessTokenClaims, realm: string): void {
  if (!claims.scope.split(' ').includes(OPENID_SCOPE) || claims.auth_time === undefined) {
    throw new OAuthError('insufficient_scope', 'The openid scope is required.', {
      'WWW-Authenticate': `Bearer realm="${realm}", error="insufficient_scope", scope="${OPENID_SCOPE}"`,
    });
  }
}

/**
 * The token's subject exists and is not disabled: a disabled user's outstanding tokens
 * no longer reveal anything about them.
 * @throws OAuthError `invalid_token`.
 */
export function assertSubjectActive(user: UserEntity | null, realm: string): asserts user is UserEntity {
  if (!user || user.disabled) throw invalidToken(realm);
}

/** The UserInfo response (OIDC Core s5.3.2), claims by scope (s5.4). */
export interface UserinfoClaims {
  sub: string;
  email?: string;
  email_verified?: boolean;
  preferred_username?: string;
  updated_at?: number;
}

/**
 * Claims by scope (OIDC Core s5.4). `email`: the address and `email_verified`, always false
 * since nothing here verifies addresses (s5.1: true only when the provider took steps to
 * ensure it). `profile`: of the s5.1 profile claims, the only ones a user account has here
 * are `preferred_username` (the email address, the name the user signs in with) and
 * `updated_at` (seconds since the epoch).
 */
export function userinfoClaims(user: UserEntity, scope: readonly string[]): UserinfoClaims {
  const claims: UserinfoClaims = { sub: user.id };
  if (scope.includes('email')) {
    claims.email = user.email;
    claims.email_verified = false;
  }
  if (scope.includes('profile')) {
    claims.preferred_username = user.email;
    claims.updated_at = Math.floor(user.updatedAt.getTime() / 1000);
  }
  return claims;
}
