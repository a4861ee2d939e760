import { randomUUID } from 'node:crypto';
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
  /** A `jti` chosen beforehand (the code grant records it before signing); random otherwise. */
  readonly jti?: string;
}

/**
 * A fresh random `jti` (RFC 9068 s2.2, RFC 7519 s4.1.7): a version 4 UUID, 122 random bits
 * from the CSPRNG. `randomUUID` draws from an entropy buffer Node refills in bulk, where a
 * `randomBytes` call per token cost a system call each on the token endpoint's hot path.
 */
export function newJti(): string {
  return randomUUID();
}

/**
 * A margin on an access token expiry recorded before signing: the token's own `iat` is
 * taken a moment later, and a revocation recorded for it must outlive the token.
 */
const RECORDED_EXP_MARGIN_S = 60;

/** A signed access token, with what the token endpoint and the audit log need to know of it. */
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

  /** Signs an access token for `grant`, living the client's `access_token_ttl` or `ACCESS_TOKEN_TTL`. */
  async issue(grant: AccessTokenGrant): Promise<IssuedAccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = this.lifetime(grant.client);
    const jti = grant.jti ?? newJti();
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

  /**
   * An upper bound of the `exp` of an access token for `client` signed from now on, for
   * records made before signing (an authorization code's, a refresh token's).
   */
  expiryBound(client: ClientEntity): number {
    return Math.floor(Date.now() / 1000) + this.lifetime(client) + RECORDED_EXP_MARGIN_S;
  }

  /** Seconds an access token for `client` lives: its own `access_token_ttl` wins over `ACCESS_TOKEN_TTL`. */
  lifetime(client: ClientEntity): number {
    return Math.min(client.accessTokenTtl ?? this.config.lifetimes.accessToken, MAX_TOKEN_TTL_SECONDS);
  }
}
