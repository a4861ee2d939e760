import { ServiceUnavailableException } from '@nestjs/common';
import type { AuthModuleOptions } from './auth-options.interface';
import { BearerTokenError } from './error-codes';
import type { AccessTokenVerifier } from './jwt/access-token.verifier';
import type { Principal } from './principal';
import type { RevocationChecker } from './revocation/revocation-checker';
import { extractCredential, type RequestLike } from './transport/token-extractor';

/**
 * The whole check of one request: find the token, verify it, check revocation. Used by
 * the passport strategy; exposed for services that authenticate outside HTTP guards.
 */
export class RequestAuthenticator {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly revocation: RevocationChecker,
    private readonly options: AuthModuleOptions,
  ) {}

  /**
   * @throws BearerTokenError (no token: 401 without code; bad token: `invalid_token`;
   *   malformed request: `invalid_request`), or a 503 when the revocation check cannot run
   *   and `revocationFailOpen` is not set.
   */
  async authenticate(request: RequestLike): Promise<Principal> {
    const credential = extractCredential(request, this.options.cookie);
    if (credential === undefined) throw new BearerTokenError(undefined);
    // A Bearer token (or a cookie holding the token itself) needs no lookup: no extra await on the common path.
    const token = credential.source === 'cookie' && this.options.cookie?.resolve ? await this.sessionAccessToken(credential.value) : credential.value;
    const result = await this.verifier.verify(token).catch(() => undefined);
    if (result === undefined) {
      // The issuer's keys could not be fetched: fail closed.
      throw new ServiceUnavailableException({ error: 'temporarily_unavailable', error_description: 'Token keys are unavailable.' });
    }
    if (!result.ok) throw new BearerTokenError('invalid_token', 'The access token is invalid.');
    const verdict = await this.revocation.check(token, result.principal);
    if (verdict === 'revoked') throw new BearerTokenError('invalid_token', 'The access token is invalid.');
    if (verdict === 'unavailable' && !this.options.revocationFailOpen) {
      throw new ServiceUnavailableException({ error: 'temporarily_unavailable', error_description: 'Token revocation cannot be checked.' });
    }
    return result.principal;
  }

  /**
   * The access token of a session handle carried by the cookie, from `cookie.resolve`.
   *
   * @throws BearerTokenError without code when there is no live session; a 503 when the
   *   resolver fails (fail closed: the session may exist, so neither 401 nor 200).
   */
  protected async sessionAccessToken(handle: string): Promise<string> {
    let token: string | undefined;
    try {
      token = await this.options.cookie?.resolve?.(handle);
    } catch {
      throw new ServiceUnavailableException({ error: 'temporarily_unavailable', error_description: 'The session cannot be read.' });
    }
    // RFC 6750 s3.1: a request without usable credentials gets a challenge without error code.
    if (typeof token !== 'string' || token === '') throw new BearerTokenError(undefined);
    return token;
  }
}
