import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { PendingLogin } from '../session/session-record';
import { Clock } from '../session/clock';
import { DEMO_CLIENT_SECRET } from './client-secret';

/** What the demo asks for (CONTRACT: the demo-web client's registered scope). */
export const DEMO_SCOPE = 'openid profile email offline_access demo:read';
const DISCOVERY_RETRY_MS = 2_000; // after a failed discovery; auth-server may start after the demo
const HTTP_TIMEOUT_S = 10;

/** Tokens of a successful grant, as the session keeps them. */
export interface GrantedTokens {
  readonly accessToken: string;
  /** ms since the epoch. */
  readonly accessTokenExpiresAt: number;
  readonly refreshToken?: string;
  /** The ID token of the grant (OIDC Core s3.1.3.3; on refresh only when the OP sends one, s12.2). */
  readonly idToken?: string;
}

/** The ID token claims the demo shows. */
export interface SignedInUser {
  readonly sub: string;
  readonly email?: string;
}

/** auth-server could not be reached or discovered: sign-in is unavailable for now. */
export class IssuerUnavailableError extends Error {
  override readonly name = 'IssuerUnavailableError';
}

/**
 * The demo as an OpenID Connect relying party of auth-server, through openid-client (a
 * certified RP): discovery, the authorization request, the code exchange with all its
 * checks, refresh and revocation. Discovery is lazy and retried, so the demo boots while
 * auth-server is still down.
 */
@Injectable()
export class RelyingPartyService {
  private configuration: Promise<oidc.Configuration> | undefined;
  private lastFailureAt = 0;
  /** How the demo authenticates at auth-server (its registered `token_endpoint_auth_method`). */
  private readonly clientAuth: oidc.ClientAuth;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    @Inject(DEMO_CLIENT_SECRET) clientSecret: string,
    private readonly clock: Clock,
  ) {
    this.clientAuth = oidc.ClientSecretPost(clientSecret);
  }

  /** `<DEMO_PUBLIC_URL>/auth/callback`, the redirect URI registered at auth-server. */
  get redirectUri(): string {
    return new URL('/auth/callback', this.config.demo.publicUrl).href;
  }

  /** Fresh random state, nonce and PKCE verifier for one sign-in. */
  newPendingLogin(): PendingLogin {
    return { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
  }

  /**
   * The authorization request URL (OIDC Core s3.1.2.1) with PKCE S256 (RFC 7636 s4.2,
   * required by RFC 9700 s2.1.1), `state` and `nonce`; with `forceLogin`, `prompt=login`:
   * auth-server signs the user in anew even when its own session is still on.
   * @throws IssuerUnavailableError when discovery fails.
   */
  async authorizationUrl(pending: PendingLogin, options: { readonly forceLogin?: boolean } = {}): Promise<URL> {
    const configuration = await this.discovered();
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: DEMO_SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      // No prompt=consent: OIDC Core s11 lets first-party (skip_consent) clients get offline_access without it.
      ...(options.forceLogin ? { prompt: 'login' } : {}),
      nonce: pending.nonce,
    });
  }

  /**
   * Exchanges the code of `callbackUrl`. openid-client checks `iss` (RFC 9207), `state`,
   * the error response, PKCE, and the ID token (signature, `iss`, `aud`, `exp`, `nonce`).
   * @throws openid-client errors (`AuthorizationResponseError`, `ResponseBodyError`, ...), IssuerUnavailableError.
   */
  async exchangeCode(callbackUrl: URL, pending: PendingLogin): Promise<{ tokens: GrantedTokens; user: SignedInUser }> {
    const configuration = await this.discovered();
    const response = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = response.claims();
    if (!claims) throw new TypeError('no ID token claims');
    const email = typeof claims['email'] === 'string' ? claims['email'] : await this.emailFromUserInfo(configuration, response.access_token, claims.sub);
    return { tokens: this.tokensOf(response), user: { sub: claims.sub, ...(email ? { email } : {}) } };
  }

  /**
   * The `email` claim from the UserInfo endpoint (OIDC Core s5.3; auth-server keeps ID tokens
   * to identity claims, s5.4). Only for display: when it cannot be read the page shows `sub`.
   */
  private async emailFromUserInfo(configuration: oidc.Configuration, accessToken: string, sub: string): Promise<string | undefined> {
    try {
      // openid-client checks that the answer's `sub` is the ID token's (OIDC Core s5.3.2).
      const info = await oidc.fetchUserInfo(configuration, accessToken, sub);
      return typeof info.email === 'string' ? info.email : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * RFC 6749 s6 refresh; auth-server rotates the refresh token (RFC 9700 s4.14.2).
   * @throws `ResponseBodyError` (`invalid_grant` when the token is dead), IssuerUnavailableError, network errors.
   */
  async refresh(refreshToken: string): Promise<GrantedTokens> {
    const response = await oidc.refreshTokenGrant(await this.discovered(), refreshToken);
    return this.tokensOf(response, refreshToken);
  }

  /** RFC 7009 revocation of a refresh token, with the demo's credentials. @throws on any failure. */
  async revokeRefreshToken(refreshToken: string): Promise<void> {
    await oidc.tokenRevocation(await this.discovered(), refreshToken, { token_type_hint: 'refresh_token' });
  }

  /**
   * The URL that ends the user's session at the OP (OpenID Connect RP-Initiated Logout 1.0
   * s2): the announced `end_session_endpoint` with `id_token_hint`, `client_id` and
   * `post_logout_redirect_uri` = `<DEMO_PUBLIC_URL>/`. Undefined when the issuer cannot be
   * discovered or announces no end-session endpoint: the demo then signs out locally only.
   */
  async endSessionUrl(idToken: string | undefined): Promise<string | undefined> {
    try {
      const configuration = await this.discovered();
      if (!configuration.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(configuration, {
        ...(idToken ? { id_token_hint: idToken } : {}),
        client_id: this.config.demo.clientId,
        post_logout_redirect_uri: this.postLogoutRedirectUri,
      }).href;
    } catch {
      return undefined;
    }
  }

  /**
   * A form POST to `<issuer><path>` (the issuer as discovered), authenticated as the demo
   * exactly as at the token endpoint: the same openid-client `ClientAuth` adds the
   * credentials. Redirects are not followed. For auth-server's own APIs beside OAuth, such
   * as the account API.
   * @throws IssuerUnavailableError when discovery fails; network and timeout errors of fetch.
   */
  async postAsClient(path: string, fields: Readonly<Record<string, string>>): Promise<Response> {
    const configuration = await this.discovered();
    const issuer = configuration.serverMetadata().issuer.replace(/\/$/, '');
    const body = new URLSearchParams(fields);
    const headers = new Headers({ accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' });
    this.clientAuth(configuration.serverMetadata(), configuration.clientMetadata(), body, headers);
    return fetch(`${issuer}${path}`, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT_S * 1000) });
  }

  /** `<DEMO_PUBLIC_URL>/`, where auth-server sends the browser back after sign-out. */
  get postLogoutRedirectUri(): string {
    return new URL('/', this.config.demo.publicUrl).href;
  }

  private tokensOf(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, previousRefreshToken?: string): GrantedTokens {
    const expiresIn = response.expiresIn() ?? 0;
    const refreshToken = response.refresh_token ?? previousRefreshToken;
    return {
      accessToken: response.access_token,
      accessTokenExpiresAt: this.clock.now() + expiresIn * 1000,
      ...(refreshToken ? { refreshToken } : {}),
      ...(response.id_token ? { idToken: response.id_token } : {}),
    };
  }

  private discovered(): Promise<oidc.Configuration> {
    if (this.configuration) return this.configuration;
    if (Date.now() - this.lastFailureAt < DISCOVERY_RETRY_MS) {
      return Promise.reject(new IssuerUnavailableError('auth-server discovery failed recently'));
    }
    const issuer = new URL(this.config.issuer);
    const attempt = oidc
      .discovery(issuer, this.config.demo.clientId, undefined, this.clientAuth, {
        // Plain http only for a development issuer; production config already demands https.
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
        timeout: HTTP_TIMEOUT_S,
      })
      .catch((error: unknown) => {
        this.configuration = undefined;
        this.lastFailureAt = Date.now();
        throw new IssuerUnavailableError(`auth-server discovery failed: ${(error as Error)?.name ?? 'error'}`);
      });
    this.configuration = attempt;
    return attempt;
  }
}
