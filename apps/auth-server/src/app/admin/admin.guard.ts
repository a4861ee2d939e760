import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { OAuthError } from '../oauth/oauth-error';
import { OwnTokenVerifier, type AccessTokenClaims } from '../oauth/own-token.verifier';
import { RevocationList } from '../oauth/revocation-list';

/** The scope an access token needs for the admin API. */
export const ADMIN_SCOPE = 'admin';

/** The admin API's caller, as the guard verified it. */
export type AdminRequest = FastifyRequest & { admin?: AccessTokenClaims };

/**
 * Guards `/admin/*`: a Bearer access token from this server (RFC 6750 s2.1), unexpired,
 * not revoked, with scope `admin`. Failures answer per RFC 6750 s3.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly verifier: OwnTokenVerifier,
    private readonly revocations: RevocationList,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const realm = `realm="${this.config.issuer}/admin"`;
    const header = request.headers.authorization;
    if (!header) throw new OAuthError('invalid_token', undefined, { 'WWW-Authenticate': `Bearer ${realm}` });
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    const claims = match ? this.verifier.verify(match[1]!) : null;
    const invalid = () =>
      new OAuthError('invalid_token', 'The access token is invalid.', { 'WWW-Authenticate': `Bearer ${realm}, error="invalid_token"` });
    if (!claims || claims.exp <= Math.floor(Date.now() / 1000) || (await this.revocations.isRevoked(claims.jti))) throw invalid();
    if (!claims.scope.split(' ').includes(ADMIN_SCOPE)) {
      throw new OAuthError('insufficient_scope', 'The admin scope is required.', {
        'WWW-Authenticate': `Bearer ${realm}, error="insufficient_scope", scope="${ADMIN_SCOPE}"`,
      });
    }
    request.admin = claims;
    return true;
  }
}

/** The audit actor for an admin request: the user, or the client for client credentials. */
export function adminActor(request: AdminRequest): { type: 'user' | 'client'; id: string } {
  const claims = request.admin!;
  return claims.sub === claims.client_id ? { type: 'client', id: claims.client_id } : { type: 'user', id: claims.sub };
}
