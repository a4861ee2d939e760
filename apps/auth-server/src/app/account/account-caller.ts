import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { ClientAuthenticator } from '../clients/client-authenticator';
import type { ClientEntity } from '../clients/client.entity';
import { formParameters, type FormParameters } from '../oauth/form-parameters';
import { OAuthError } from '../oauth/oauth-error';
import { OwnTokenVerifier, type AccessTokenClaims } from '../oauth/own-token.verifier';
import { RevocationList } from '../oauth/revocation-list';
import { findUser } from '../oauth/user-lookup';
import { OPENID_SCOPE } from '../oauth/userinfo-checks';
import type { UserEntity } from '../users/user.entity';
import { UserService } from '../users/user.service';

/** Who is calling the account API: an authenticated client acting for one of its signed-in users. */
export interface AccountCaller {
  readonly client: ClientEntity;
  readonly user: UserEntity;
  readonly claims: AccessTokenClaims;
  readonly params: FormParameters;
}

/**
 * Authenticates a call to the account API. All must hold:
 * - the client authenticates exactly as at the token endpoint (RFC 6749 s2.3; RFC 7523),
 *   so public clients cannot call it, and is one of `AUTH_ACCOUNT_CLIENTS` (default: the
 *   demo's client), the operator's own account pages;
 * - the form member `token` is an access token this server issued to that same client for
 *   a user (scope `openid`, `auth_time` present), unexpired, not revoked, whose user is
 *   active. A stolen access token is useless without the client's credentials (the token
 *   is sender-constrained by client authentication, as at RFC 7662 introspection).
 * Every failure of the token is one `invalid_token` (401), whatever the reason.
 */
@Injectable()
export class AccountCallers {
  constructor(
    private readonly authenticator: ClientAuthenticator,
    private readonly verifier: OwnTokenVerifier,
    private readonly revocations: RevocationList,
    private readonly users: UserService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  /**
   * @param path the endpoint's path: a client assertion may name its URL as `aud`.
   * @throws OAuthError `invalid_request`, `invalid_client` or `invalid_token`.
   */
  async authenticate(request: FastifyRequest, path: string): Promise<AccountCaller> {
    const params = formParameters(request.headers['content-type'], request.body);
    const { client, method } = await this.authenticator.authenticate(request.headers.authorization, params, this.config.issuer + path);
    if (method === 'none') throw OAuthError.invalidClient(this.config.issuer); // a public client proves nothing
    // Only the operator's first-party account pages: a third-party client the user signed in
    // to must not read their security events or replace their second factor.
    if (!this.config.accountClients.includes(client.clientId)) throw new OAuthError('unauthorized_client', 'This client may not use the account API.');
    const token = params.get('token');
    if (token === undefined) throw new OAuthError('invalid_request', 'The token parameter is required.');
    const claims = this.verifier.verify(token);
    const usable =
      claims !== null &&
      claims.exp > Math.floor(Date.now() / 1000) &&
      claims.client_id === client.clientId &&
      claims.auth_time !== undefined &&
      claims.scope.split(' ').includes(OPENID_SCOPE) &&
      !(await this.revocations.isRevoked(claims.jti));
    const user = usable ? await findUser(this.users, claims.sub) : null;
    if (!usable || !user || user.disabled) throw new OAuthError('invalid_token', 'The access token is invalid.');
    return { client, user, claims, params };
  }
}
