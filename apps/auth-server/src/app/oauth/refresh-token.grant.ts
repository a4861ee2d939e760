import { Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { ClientEntity } from '../clients/client.entity';
import { GrantRevocation } from '../refresh/grant-revocation.service';
import { RefreshTokenService } from '../refresh/refresh-token.service';
import { UserService } from '../users/user.service';
import { AccessTokenIssuer, newJti } from './access-token.issuer';
import type { TokenResponse } from './client-credentials.grant';
import type { FormParameters } from './form-parameters';
import { assertClientMayUseGrant, assertUserActive, parseScope, refreshLifetimes, requiredParameter, resolveAudience } from './grant-checks';
import { IdTokenIssuer } from './id-token.issuer';
import { findUser } from './user-lookup';
import { issueUserTokens } from './user-tokens';

/**
 * RFC 6749 s6: the refresh token grant, with rotation and reuse detection (RFC 9700
 * s4.14.2). The checks, in order: client registered for the grant; `refresh_token` present;
 * `scope` well formed and `resource` acceptable (before the token is touched); rotation
 * (unknown, foreign, expired, revoked or reused tokens are `invalid_grant`, reuse revokes
 * the family; a scope wider than the grant is `invalid_scope`); the user still active (if
 * not, the family is revoked). Then a new access token, the rotated refresh token, and an
 * ID token when the scope has `openid` (OIDC Core s12.2: same `sub` and `auth_time`, no nonce).
 */
@Injectable()
export class RefreshTokenGrant {
  constructor(
    private readonly refreshTokens: RefreshTokenService,
    private readonly grants: GrantRevocation,
    private readonly users: UserService,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly idTokens: IdTokenIssuer,
    private readonly audit: AuditService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** @throws OAuthError `unauthorized_client`, `invalid_request`, `invalid_scope`, `invalid_target` or `invalid_grant`. */
  async handle(client: ClientEntity, params: FormParameters): Promise<TokenResponse> {
    assertClientMayUseGrant(client, 'refresh_token');
    const presented = requiredParameter(params, 'refresh_token');
    const requested = params.get('scope');
    const scope = requested === undefined ? undefined : parseScope(requested);
    const audience = resolveAudience(params, client, this.config);
    // The new access token's jti is recorded with the new refresh token, so that revoking
    // the family revokes it too (RFC 7009 s2.1).
    const jti = newJti();
    const rotated = await this.refreshTokens.rotate(
      presented,
      client.clientId,
      refreshLifetimes(client, this.config).idle,
      { jti, expiresAt: this.accessTokens.expiryBound(client) },
      scope,
    );
    const user = await findUser(this.users, rotated.grant.userId);
    if (!user || user.disabled) await this.revokeFamilyOfInactiveUser(rotated.familyId, rotated.grant.userId, client);
    assertUserActive(user);
    return issueUserTokens(
      { accessTokens: this.accessTokens, idTokens: this.idTokens, audit: this.audit },
      {
        grantType: 'refresh_token',
        client,
        user,
        scope: rotated.grant.scope,
        audience,
        authTime: rotated.grant.authTime,
        amr: rotated.grant.amr,
        jti,
        refresh: { token: rotated.token, familyId: rotated.familyId },
      },
    );
  }

  /** A disabled (or deleted) user's grant ends: the whole family, the token just rotated included, and its access tokens. */
  private async revokeFamilyOfInactiveUser(familyId: string, userId: string, client: ClientEntity): Promise<void> {
    await this.grants.revokeFamily(familyId);
    this.audit.record({
      type: 'token.revoked',
      outcome: 'success',
      actor: { type: 'client', id: client.clientId },
      subject: { type: 'user', id: userId },
      details: { kind: 'refresh_token', family: familyId, reason: 'user_inactive' },
    });
  }
}
