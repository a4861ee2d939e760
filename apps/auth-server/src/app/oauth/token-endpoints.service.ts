import { Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import type { ClientEntity } from '../clients/client.entity';
import type { FormParameters } from './form-parameters';
import { OAuthError } from './oauth-error';
import { OwnTokenVerifier, type AccessTokenClaims } from './own-token.verifier';
import { RevocationList } from './revocation-list';

/**
 * Who may introspect a token issued to another client (RFC 7662 s4: the server decides):
 * a resource server registered with the scope `introspection`, or a web client whose
 * redirect URIs share an origin with the token's audience (a backend-for-frontend that is
 * itself the API the token is for, as the demo is).
 */
export const INTROSPECTION_SCOPE = 'introspection';

function mayIntrospect(client: ClientEntity, claims: AccessTokenClaims): boolean {
  if (claims.client_id === client.clientId || client.scope.split(' ').includes(INTROSPECTION_SCOPE)) return true;
  const origins = new Set(client.redirectUris.map(originOf));
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  origins.delete('');
  return audiences.some((aud) => origins.has(originOf(aud)));
}

function originOf(uri: string): string {
  try {
    const { origin } = new URL(uri);
    return origin === 'null' ? '' : origin; // custom schemes have no comparable origin
  } catch {
    return '';
  }
}

/** RFC 7662 s2.2 response. */
export type IntrospectionResponse = { active: false } | ({ active: true; token_type: 'Bearer' } & Omit<AccessTokenClaims, never>);


/**
 * Revocation (RFC 7009) and introspection (RFC 7662) of access tokens. A client sees
 * only its own tokens: another client's token is "unknown" to it (200 on revoke,
 * `{"active":false}` on introspect), as RFC 7009 s2.1 and RFC 7662 s4 advise; only a
 * resource server holding the `introspection` scope may introspect any client's tokens.
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
      mayIntrospect(client, claims) &&
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
