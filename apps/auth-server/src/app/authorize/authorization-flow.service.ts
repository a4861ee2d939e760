import { Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import type { ClientEntity } from '../clients/client.entity';
import { ConsentService } from '../consents/consent.service';
import type { SignedInUser } from '../signin/signed-in-user';
import { SecondFactorVerifier } from '../mfa/second-factor.verifier';
import { AuthorizationClock } from './authorization-clock';
import { AuthorizationCodeService } from './authorization-code.service';
import { AuthorizationError } from './authorization-errors';
import type { AuthorizationRequest, ErrorRedirect } from './authorization-request';
import { codeResponseLocation, errorResponseLocation } from './authorization-response';

/** What the browser sees next: the login page, the consent page, or a redirect to the client. */
export type AuthorizationStep =
  | { readonly kind: 'login'; readonly request: AuthorizationRequest; readonly client: ClientEntity }
  | { readonly kind: 'consent'; readonly request: AuthorizationRequest; readonly client: ClientEntity; readonly signedIn: SignedInUser }
  | { readonly kind: 'redirect'; readonly location: string };

/**
 * Decides each step of a validated authorization request: sign in when there is no session
 * or it is not fresh enough (`prompt=login`, `max_age`), ask for consent when none is
 * remembered (or `prompt=consent`), and issue the code. With `prompt=none` it never shows a
 * page (OIDC Core 1.0 s3.1.2.1, s3.1.2.6).
 */
@Injectable()
export class AuthorizationFlow {
  private readonly issuer: string;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly codes: AuthorizationCodeService,
    private readonly consents: ConsentService,
    private readonly clock: AuthorizationClock,
    private readonly secondFactors: SecondFactorVerifier,
  ) {
    this.issuer = config.issuer;
  }

  /** The redirect for a request refused after its redirect URI was verified. */
  refused(refusal: ErrorRedirect): AuthorizationStep {
    return { kind: 'redirect', location: errorResponseLocation(refusal, this.issuer) };
  }

  /** The next step for `request`, given who (if anyone) is signed in. */
  async next(request: AuthorizationRequest, client: ClientEntity, signedIn: SignedInUser | undefined): Promise<AuthorizationStep> {
    if (!signedIn || !this.authenticationFresh(request, signedIn) || (await this.secondFactorMissing(signedIn))) {
      return request.prompt.includes('none') ? this.error(request, 'login_required', 'The user is not signed in.') : { kind: 'login', request, client };
    }
    if (await this.consentNeeded(request, client, signedIn)) {
      return request.prompt.includes('none') ? this.error(request, 'consent_required', 'The user has not consented.') : { kind: 'consent', request, client, signedIn };
    }
    return this.issueCode(request, signedIn);
  }

  /**
   * The step after the consent page. `Deny` is `access_denied` (RFC 6749 s4.1.2.1); `Allow`
   * is remembered and the code issued. A session that stopped being fresh enough meanwhile
   * signs in again.
   */
  async consentDecided(request: AuthorizationRequest, client: ClientEntity, signedIn: SignedInUser, allow: boolean): Promise<AuthorizationStep> {
    if (!this.authenticationFresh(request, signedIn) || (await this.secondFactorMissing(signedIn))) return { kind: 'login', request, client };
    if (!allow) return this.error(request, 'access_denied', 'The user denied the request.');
    await this.consents.grant(signedIn.user.id, client.clientId, request.scope);
    return this.issueCode(request, signedIn);
  }

  /**
   * OIDC Core 1.0 s3.1.2.1: `prompt=login` (and `select_account`, which has no chooser
   * here) and `max_age=0` need a sign-in made for this request; `max_age` otherwise bounds
   * the age of the last sign-in.
   */
  private authenticationFresh(request: AuthorizationRequest, { session }: SignedInUser): boolean {
    if (request.authenticatedSessionId === session.id) return true;
    if (request.prompt.includes('login') || request.prompt.includes('select_account') || request.maxAge === 0) return false;
    return request.maxAge === undefined || this.clock.nowSeconds() - session.authTime <= request.maxAge;
  }

  /**
   * A session signed in with the password alone, of a user who has set up a second factor
   * since: it signs in again, with both (OWASP ASVS 5.0 V6.4: a new factor applies at once,
   * not only to sessions started after it).
   */
  private async secondFactorMissing({ session, user }: SignedInUser): Promise<boolean> {
    return !session.amr.includes('otp') && (await this.secondFactors.required(user.id));
  }

  private async consentNeeded(request: AuthorizationRequest, client: ClientEntity, { user }: SignedInUser): Promise<boolean> {
    if (request.prompt.includes('consent')) return true;
    if (client.skipConsent) return false;
    return !(await this.consents.covers(user.id, client.clientId, request.scope));
  }

  private async issueCode(request: AuthorizationRequest, { session, user }: SignedInUser): Promise<AuthorizationStep> {
    const code = await this.codes.issue(
      {
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        redirectUriSent: request.redirectUriSent,
        codeChallenge: request.codeChallenge,
        userId: user.id,
        scope: request.scope,
        nonce: request.nonce,
        authTime: session.authTime,
        amr: session.amr,
      },
      this.config.lifetimes.authorizationCode,
    );
    return { kind: 'redirect', location: codeResponseLocation(request, code, this.issuer) };
  }

  private error(request: AuthorizationRequest, code: AuthorizationError['code'], description: string): AuthorizationStep {
    return this.refused({ redirectUri: request.redirectUri, state: request.state, error: new AuthorizationError(code, description) });
  }
}
