import { Injectable } from '@nestjs/common';
import { AuditService } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { ClientEntity } from '../clients/client.entity';
import { GrantRevocation } from '../refresh/grant-revocation.service';
import { RefreshTokenService } from '../refresh/refresh-token.service';
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

/** RFC 7662 s2.2 response for a live refresh token (shown to the client that holds it only). */
export interface RefreshTokenIntrospection {
  readonly active: true;
  readonly token_type: 'refresh_token';
  readonly iss: string;
  readonly client_id: string;
  readonly sub: string;
  readonly scope: string;
  readonly exp: number;
  readonly iat: number;
}

/** RFC 7662 s2.2 response. */
export type IntrospectionResponse =
  | { active: false }
  | ({ active: true; token_type: 'Bearer' } & Omit<AccessTokenClaims, never>)
  | RefreshTokenIntrospection;

/** The only form a refresh token of this server has (see `newOpaqueToken`): no lookup for anything else. */
const REFRESH_TOKEN_FORM = /^[A-Za-z0-9_-]{43}$/;

/** A token a revocation request found, as the audit log names it (never the token itself). */
interface RevokedToken {
  readonly kind: 'access_token' | 'refresh_token';
  readonly subject: { readonly type: string; readonly id: string };
}

/**
 * Revocation (RFC 7009) and introspection (RFC 7662) of access and refresh tokens. A client
 * sees only its own tokens: another client's token is "unknown" to it (200 on revoke,
 * `{"active":false}` on introspect), as RFC 7009 s2.1 and RFC 7662 s4 advise; only a
 * resource server holding the `introspection` scope may introspect any client's access
 * tokens, and refresh tokens are introspectable by their own client only.
 *
 * `token_type_hint` (RFC 7009 s2.1, RFC 7662 s2.1) only decides which kind is looked up
 * first; every kind is tried whatever it says, and an unknown hint is ignored.
 */
@Injectable()
export class TokenEndpointsService {
  constructor(
    private readonly verifier: OwnTokenVerifier,
    private readonly revocations: RevocationList,
    private readonly refreshTokens: RefreshTokenService,
    private readonly grants: GrantRevocation,
    private readonly audit: AuditService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /** RFC 7009 s2: revokes the token when it is the client's own; answers the same either way. */
  async revoke(client: ClientEntity, params: FormParameters): Promise<void> {
    const token = this.tokenParameter(params);
    const revoked =
      params.get('token_type_hint') === 'refresh_token'
        ? ((await this.revokeRefreshToken(client, token)) ?? (await this.revokeAccessToken(client, token)))
        : ((await this.revokeAccessToken(client, token)) ?? (await this.revokeRefreshToken(client, token)));
    this.audit.record({
      type: 'token.revoked',
      outcome: revoked ? 'success' : 'failure',
      actor: { type: 'client', id: client.clientId },
      ...(revoked ? { subject: revoked.subject } : {}),
      // `kind` rather than `token_type`: the audit redactor masks any member named like a token.
      details: { kind: revoked?.kind ?? 'unknown' },
    });
  }

  /** RFC 7662 s2: describes the token when it is active and the client may see it; else `{active:false}`. */
  async introspect(client: ClientEntity, params: FormParameters): Promise<IntrospectionResponse> {
    const token = this.tokenParameter(params);
    const answer =
      params.get('token_type_hint') === 'refresh_token'
        ? ((await this.introspectRefreshToken(client, token)) ?? (await this.introspectAccessToken(client, token)))
        : ((await this.introspectAccessToken(client, token)) ?? (await this.introspectRefreshToken(client, token)));
    this.audit.record({
      type: 'token.introspected',
      outcome: 'success',
      actor: { type: 'client', id: client.clientId },
      ...(answer?.subject ? { subject: answer.subject } : {}),
      details: { active: answer?.response.active ?? false, ...(answer ? { kind: answer.kind } : {}) },
    });
    return answer?.response ?? { active: false };
  }

  private async revokeAccessToken(client: ClientEntity, token: string): Promise<RevokedToken | null> {
    const claims = this.verifier.verify(token);
    if (!claims || claims.client_id !== client.clientId) return null;
    if (claims.exp > Math.floor(Date.now() / 1000)) await this.revocations.revoke(claims.jti, client.clientId, claims.exp);
    return { kind: 'access_token', subject: { type: 'token', id: claims.jti } };
  }

  /**
   * RFC 7009 s2.1: revoking a refresh token revokes its whole family (every token rotated
   * from the same grant) and "all access tokens based on the same authorization grant":
   * each refresh token row records the access token issued with it, and those not yet
   * expired go on the revocation list.
   */
  private async revokeRefreshToken(client: ClientEntity, token: string): Promise<RevokedToken | null> {
    if (!REFRESH_TOKEN_FORM.test(token)) return null;
    const familyId = await this.grants.revokeFamilyOf(token, client.clientId);
    return familyId ? { kind: 'refresh_token', subject: { type: 'refresh_family', id: familyId } } : null;
  }

  /** Null when the token is no access token this client may see (so a refresh token is tried). */
  private async introspectAccessToken(client: ClientEntity, token: string): Promise<Introspected | null> {
    const claims = this.verifier.verify(token);
    if (!claims) return null;
    const active =
      mayIntrospect(client, claims) && claims.exp > Math.floor(Date.now() / 1000) && !(await this.revocations.isRevoked(claims.jti));
    return {
      kind: 'access_token',
      subject: { type: 'token', id: claims.jti },
      response: active ? { active: true, token_type: 'Bearer', ...claims } : { active: false },
    };
  }

  private async introspectRefreshToken(client: ClientEntity, token: string): Promise<Introspected | null> {
    if (!REFRESH_TOKEN_FORM.test(token)) return null;
    const found = await this.refreshTokens.find(token, client.clientId);
    if (!found) return null;
    return {
      kind: 'refresh_token',
      subject: { type: 'refresh_family', id: found.familyId },
      response: {
        active: true,
        token_type: 'refresh_token',
        iss: this.config.issuer,
        client_id: found.clientId,
        sub: found.userId,
        scope: found.scope.join(' '),
        exp: found.expiresAt,
        iat: found.issuedAt,
      },
    };
  }

  private tokenParameter(params: FormParameters): string {
    const token = params.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required.');
    return token;
  }
}

/** What introspection found, for the response and the audit log. */
interface Introspected {
  readonly kind: 'access_token' | 'refresh_token';
  readonly subject: { readonly type: string; readonly id: string };
  readonly response: IntrospectionResponse;
}
