import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { AuthorizationCodeService } from '../authorize/authorization-code.service';
import type { ClientEntity } from '../clients/client.entity';
import { RefreshTokenService } from '../refresh/refresh-token.service';
import { UserService } from '../users/user.service';
import { AccessTokenIssuer, newJti } from './access-token.issuer';
import type { TokenResponse } from './client-credentials.grant';
import type { FormParameters } from './form-parameters';
import {
  assertClientMayUseGrant,
  assertUserActive,
  mayIssueRefreshToken,
  refreshLifetimes,
  requiredParameter,
  resolveAudience,
} from './grant-checks';
import { IdTokenIssuer } from './id-token.issuer';
import { OAuthError } from './oauth-error';
import { findUser } from './user-lookup';
import { issueUserTokens } from './user-tokens';


/**
 * RFC 6749 s4.1.3 with PKCE (RFC 7636 s4.5, s4.6): the authorization code grant. The checks,
 * in order: client registered for the grant; `code` present; `resource` acceptable
 * (RFC 8707), all before the code is touched so that a malformed request does not burn it;
 * then the code store's binding checks (client; redirect URI, required when the
 * authorization request carried one; verifier), whose failure revokes nothing; single use
 * (a replay revokes what the first use issued); expiry; finally the user must still be active.
 */
@Injectable()
export class AuthorizationCodeGrant {
  constructor(
    private readonly codes: AuthorizationCodeService,
    private readonly refreshTokens: RefreshTokenService,
    private readonly users: UserService,
    private readonly accessTokens: AccessTokenIssuer,
    private readonly idTokens: IdTokenIssuer,
    private readonly audit: AuditService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** @throws OAuthError `unauthorized_client`, `invalid_request`, `invalid_target` or `invalid_grant`. */
  async handle(client: ClientEntity, params: FormParameters): Promise<TokenResponse> {
    assertClientMayUseGrant(client, 'authorization_code');
    const code = requiredParameter(params, 'code');
    // Required when the authorization request carried it; the code knows (RFC 6749 s4.1.3).
    const redirectUri = params.get('redirect_uri');
    const audience = resolveAudience(params, client, this.config);
    // A missing code_verifier fails inside redeem as invalid_grant: every code has a challenge.
    const { id, grant } = await this.codes.redeem(code, client.clientId, redirectUri, params.get('code_verifier'));
    const user = await findUser(this.users, grant.userId);
    assertUserActive(user);
    // A sign-in made with a password replaced since opens nothing (OWASP ASVS 5.0 V7.4.3).
    if (grant.authTime < Math.floor(user.passwordChangedAt.getTime() / 1000)) throw new OAuthError('invalid_grant', 'The authorization code is invalid.');

    // Record what will be issued before it exists: a replay racing this request then
    // revokes it (RFC 6749 s4.1.2) rather than finding nothing recorded yet.
    const jti = newJti();
    const familyId = mayIssueRefreshToken(client, grant.scope) ? randomUUID() : undefined;
    const accessExp = this.accessTokens.expiryBound(client);
    await this.codes.recordIssued(id, { accessJti: jti, accessExp, ...(familyId ? { refreshFamily: familyId } : {}) });

    const refresh = familyId
      ? await this.refreshTokens.issue(
          { clientId: client.clientId, userId: user.id, scope: grant.scope, authTime: grant.authTime, amr: grant.amr },
          refreshLifetimes(client, this.config),
          { jti, expiresAt: accessExp },
          familyId,
        )
      : undefined;
    // A replay that raced this exchange has marked the code by now, or will find the record.
    await this.codes.assertNotReplayed(id);
    return issueUserTokens(
      { accessTokens: this.accessTokens, idTokens: this.idTokens, audit: this.audit },
      {
        grantType: 'authorization_code',
        client,
        user,
        scope: grant.scope,
        audience,
        authTime: grant.authTime,
        amr: grant.amr,
        ...(grant.nonce !== undefined ? { nonce: grant.nonce } : {}),
        jti,
        ...(refresh ? { refresh } : {}),
      },
    );
  }
}
