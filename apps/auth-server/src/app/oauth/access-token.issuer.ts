import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { ClientEntity } from '../clients/client.entity';
import { MAX_TOKEN_TTL_SECONDS, SigningKeyService } from '../keys/signing-key.service';

/** What an access token is issued for. */
export interface AccessTokenGrant {
  readonly client: ClientEntity;
  /** The resource owner, or the client itself for client credentials (RFC 9068 s2.2). */
  readonly subject: string;
  readonly scope: readonly string[];
  readonly audience: readonly string[];
  /** User tokens: when and how the user authenticated, and their roles. */
  readonly user?: { readonly authTime: number; readonly amr: readonly string[]; readonly roles: readonly string[] };
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresIn: number;
  readonly expiresAt: number;
}

/** Issues JWT access tokens per RFC 9068: header `typ: at+jwt`, claims of s2.2. */
@Injectable()
export class AccessTokenIssuer {
  constructor(
    private readonly keys: SigningKeyService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async issue(grant: AccessTokenGrant): Promise<IssuedAccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.min(grant.client.accessTokenTtl ?? this.config.lifetimes.accessToken, MAX_TOKEN_TTL_SECONDS);
    const jti = randomBytes(16).toString('base64url');
    const claims = {
      iss: this.config.issuer,
      sub: grant.subject,
      aud: grant.audience.length === 1 ? grant.audience[0] : grant.audience,
      exp: now + expiresIn,
      iat: now,
      jti,
      client_id: grant.client.clientId,
      scope: grant.scope.join(' '),
      ...(grant.user ? { auth_time: grant.user.authTime, amr: grant.user.amr, roles: grant.user.roles } : {}),
    };
    const token = await this.keys.signJwt('at+jwt', claims);
    return { token, jti, expiresIn, expiresAt: now + expiresIn };
  }
}
