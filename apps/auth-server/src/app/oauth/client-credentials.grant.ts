import { Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { ClientEntity } from '../clients/client.entity';
import { AccessTokenIssuer } from './access-token.issuer';
import type { FormParameters } from './form-parameters';
import { assertClientMayUseGrant, resolveAudience, resolveScope, USER_ONLY_SCOPES } from './grant-checks';

/** RFC 6749 s5.1 success body. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** RFC 6749 s4.4: the client credentials grant. No refresh token is issued (s4.4.3). */
@Injectable()
export class ClientCredentialsGrant {
  constructor(
    private readonly tokens: AccessTokenIssuer,
    private readonly audit: AuditService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async handle(client: ClientEntity, params: FormParameters): Promise<TokenResponse> {
    assertClientMayUseGrant(client, 'client_credentials');
    const allowed = client.scope.split(' ').filter((s) => s && !USER_ONLY_SCOPES.has(s));
    const scope = resolveScope(params.get('scope'), allowed);
    const audience = resolveAudience(params, client, this.config);
    const issued = await this.tokens.issue({ client, subject: client.clientId, scope, audience });
    this.audit.record({
      type: 'token.issued',
      outcome: 'success',
      actor: { type: 'client', id: client.clientId },
      details: { grant_type: 'client_credentials', scope: scope.join(' '), aud: audience, jti: issued.jti, exp: issued.expiresAt },
    });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: scope.join(' ') };
  }
}
