import type { AuditService } from '@authkit/audit';
import type { ClientEntity } from '../clients/client.entity';
import type { UserEntity } from '../users/user.entity';
import type { AccessTokenIssuer } from './access-token.issuer';
import type { TokenResponse } from './client-credentials.grant';
import type { IdTokenIssuer } from './id-token.issuer';

/** What the user grants issue tokens for, once their own checks have passed. */
export interface UserTokenRequest {
  readonly grantType: 'authorization_code' | 'refresh_token';
  readonly client: ClientEntity;
  /** The resource owner, found active. */
  readonly user: UserEntity;
  readonly scope: readonly string[];
  readonly audience: readonly string[];
  readonly authTime: number;
  readonly amr: readonly string[];
  /** The authorization request's nonce (code grant only; OIDC Core s12.2 drops it on refresh). */
  readonly nonce?: string;
  /** The access token's `jti` when chosen beforehand. */
  readonly jti?: string;
  /** The refresh token to hand out with them, and its family, if any. */
  readonly refresh?: { readonly token: string; readonly familyId: string };
}

/** The services that sign and record the tokens. */
export interface UserTokenIssuers {
  readonly accessTokens: AccessTokenIssuer;
  readonly idTokens: IdTokenIssuer;
  readonly audit: AuditService;
}

/**
 * Signs the access token (RFC 9068, with the user's `auth_time`, `amr` and current roles)
 * and, when the scope has `openid`, the ID token (OIDC Core s3.1.3.3, s12.2), records one
 * `token.issued` event per token (never the token itself), and builds the RFC 6749 s5.1
 * response around them and the refresh token, if any.
 */
export async function issueUserTokens(issuers: UserTokenIssuers, request: UserTokenRequest): Promise<TokenResponse> {
  const { client, user, scope } = request;
  const access = await issuers.accessTokens.issue({
    client,
    subject: user.id,
    scope,
    audience: request.audience,
    user: { authTime: request.authTime, amr: request.amr, roles: user.roles },
    ...(request.jti ? { jti: request.jti } : {}),
  });
  const idToken = scope.includes('openid')
    ? await issuers.idTokens.issue({
        clientId: client.clientId,
        subject: user.id,
        authTime: request.authTime,
        amr: request.amr,
        ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
        accessToken: access.token,
        expiresIn: access.expiresIn,
      })
    : undefined;
  const scopeText = scope.join(' ');
  // `kind` rather than `token_type`: the audit redactor masks any member named like a token.
  const record = (kind: string, details: Record<string, string | number | string[]>) =>
    issuers.audit.record({
      type: 'token.issued',
      outcome: 'success',
      actor: { type: 'client', id: client.clientId },
      subject: { type: 'user', id: user.id },
      details: { grant_type: request.grantType, kind, scope: scopeText, ...details },
    });
  record('access_token', { jti: access.jti, aud: [...request.audience], exp: access.expiresAt });
  if (idToken) record('id_token', { exp: access.expiresAt });
  if (request.refresh) record('refresh_token', { family: request.refresh.familyId });
  return {
    access_token: access.token,
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    scope: scopeText,
    ...(request.refresh ? { refresh_token: request.refresh.token } : {}),
    ...(idToken ? { id_token: idToken } : {}),
  };
}
