import { Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import type { ClientEntity } from '../clients/client.entity';
import type { FormParameters } from './form-parameters';
import { OAuthError } from './oauth-error';
import { OwnTokenVerifier, type AccessTokenClaims } from './own-token.verifier';
import { RevocationList } from './revocation-list';

/** RFC 7662 s2.2 response. */
export type IntrospectionResponse = { active: false } | ({ active: true; token_type: 'Bearer' } & Omit<AccessTokenClaims, never>);


/**
 * Revocation (RFC 7009) and introspection (RFC 7662) of access tokens. A client sees
 * only its own tokens: another client's token is "unknown" to it (200 on revoke,
 * `{"active":false}` on introspect), as RFC 7009 s2.1 and RFC 7662 s4 advise.
 */
@Injectable()
export class TokenEndpointsService {
  constructor(
    private readonly verifier: OwnTokenVerifier,
    private readonly revocations: RevocationList,
    private readonly audit: AuditService,
  ) {}

  async revoke(client: ClientEntity, params: FormParameters): Promise<void> {
    const token = this.tokenParameter(params);
    const claims = this.verifier.verify(token);
    const owned = claims !== null && claims.client_id === client.clientId;
    if (owned && claims.exp > Math.floor(Date.now() / 1000)) {
      await this.revocations.revoke(claims.jti, client.clientId, claims.exp);
    }
    this.audit.record({
      type: 'token.revoked',
      outcome: owned ? 'success' : 'failure',
      actor: { type: 'client', id: client.clientId },
      ...(owned && claims ? { subject: { type: 'token', id: claims.jti } } : {}),
      details: { token_type: owned ? 'access_token' : 'unknown' },
    });
  }

  async introspect(client: ClientEntity, params: FormParameters): Promise<IntrospectionResponse> {
    const token = this.tokenParameter(params);
    const claims = this.verifier.verify(token);
    const active =
      claims !== null &&
      claims.client_id === client.clientId &&
      claims.exp > Math.floor(Date.now() / 1000) &&
      !(await this.revocations.isRevoked(claims.jti));
    this.audit.record({
      type: 'token.introspected',
      outcome: 'success',
      actor: { type: 'client', id: client.clientId },
      ...(claims ? { subject: { type: 'token', id: claims.jti } } : {}),
      details: { active },
    });
    return active && claims ? { active: true, token_type: 'Bearer', ...claims } : { active: false };
  }

  private tokenParameter(params: FormParameters): string {
    const token = params.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required.');
    // RFC 7009 s2.1 / RFC 7662 s2.1: the hint only speeds up the lookup; every type is tried
    // whatever it says, and an unknown hint is ignored.
    return token;
  }
}
