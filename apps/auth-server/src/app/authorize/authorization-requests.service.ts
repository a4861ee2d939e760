import { Injectable } from '@nestjs/common';
import type { ClientEntity } from '../clients/client.entity';
import { ClientService } from '../clients/client.service';
import { OAuthError } from '../oauth/oauth-error';
import { resolveScope } from '../oauth/grant-checks';
import { AuthorizationPageError } from './authorization-errors';
import { AuthorizationParameters } from './authorization-parameters';
import { assertClientKnown, validateAuthorizationRequest, type AuthorizationRequest, type AuthorizationRequestResult } from './authorization-request';
import { AuthorizationRequestSealer } from './authorization-request.sealer';
import { redirectUriRegistered } from './redirect-uri';

/**
 * Authorization requests at the boundary: validated once when they arrive
 * (`authorization-request.ts`), sealed into the sign-in forms, and restored from them with
 * the client re-read, so that a client deleted or changed meanwhile is not served.
 */
@Injectable()
export class AuthorizationRequests {
  constructor(
    private readonly clients: ClientService,
    private readonly sealer: AuthorizationRequestSealer,
  ) {}

  /** Validates the parameters of a request to the authorization endpoint (query or form body). */
  validate(input: unknown): Promise<AuthorizationRequestResult> {
    return validateAuthorizationRequest(AuthorizationParameters.from(input), (clientId) => this.findClient(clientId));
  }

  /** The hidden-field form of a validated request. */
  seal(request: AuthorizationRequest): string {
    return this.sealer.seal(request);
  }

  /**
   * The request a sign-in form carried, with its client as registered now.
   * @throws AuthorizationPageError when the form is altered or expired, the client is gone,
   *   or the redirect URI, code grant or scope is no longer registered for it.
   */
  async restore(sealed: string | undefined): Promise<{ request: AuthorizationRequest; client: ClientEntity }> {
    const request = this.sealer.unseal(sealed);
    const client = assertClientKnown(await this.findClient(request.clientId));
    if (!redirectUriRegistered(client, request.redirectUri) || !client.grantTypes.includes('authorization_code') || !this.scopeStillAllowed(request, client)) {
      throw new AuthorizationPageError('request_expired', 'The application changed its registration. Go back to the application and start again.');
    }
    return { request, client };
  }

  private async findClient(clientId: string): Promise<ClientEntity | undefined> {
    return (await this.clients.credentials(clientId))?.client;
  }

  private scopeStillAllowed(request: AuthorizationRequest, client: ClientEntity): boolean {
    try {
      resolveScope(request.scope.length ? request.scope.join(' ') : undefined, client.scope.split(' ').filter(Boolean));
      return true;
    } catch (error) {
      if (error instanceof OAuthError) return false;
      throw error;
    }
  }
}
