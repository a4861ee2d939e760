import { Injectable } from '@nestjs/common';
import { AuditService, type AuditParty } from '@authkit/audit';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { AuthorizationParameters } from '../authorize/authorization-parameters';
import { ClientService } from '../clients/client.service';
import { clearCookie, sessionCookieName } from '../sessions/session-cookie';
import { SessionService, type UserSession } from '../sessions/session.service';
import { SignedInUsers } from '../signin/signed-in-user';
import { UserService } from '../users/user.service';
import { type EndSessionRequest, postLogoutLocation, validateEndSessionRequest } from './end-session-request';
import { IdTokenHintVerifier } from './id-token-hint.verifier';
import { LogoutCsrfTokens } from './logout-csrf';
import type { ConfirmSignOutModel } from './end-session-pages';

/** What the browser gets: the signed-out answer (a redirect or a page), or the "Sign out?" page. */
export type EndSessionOutcome =
  | {
      readonly kind: 'signed_out';
      /** The validated `post_logout_redirect_uri` with `state`; undefined: the "You are signed out" page. */
      readonly location: string | undefined;
      /** The `Set-Cookie` that deletes the session cookie. */
      readonly clearCookie: string;
    }
  | { readonly kind: 'confirm'; readonly page: ConfirmSignOutModel; readonly postLogoutRedirectUri: string | undefined }
  | {
      /** The user chose to stay signed in (s2: the OP asks; on "no" it MUST NOT log out). */
      readonly kind: 'stayed';
      /** The validated `post_logout_redirect_uri` with `state`; undefined: the "still signed in" page. */
      readonly location: string | undefined;
    };

/** How a session came to be ended, for the audit row. */
type LogoutMethod = 'id_token_hint' | 'confirmed';

/**
 * OpenID Connect RP-Initiated Logout 1.0 at the OP: ends the browser's sign-in session
 * (not the user's refresh tokens: the RP revokes its own, RFC 7009). A session is ended
 * without asking only for a verified `id_token_hint` naming the session's user (s2);
 * otherwise (no hint, a forged one, another user's) the user confirms on a page whose
 * form carries a CSRF token bound to the session (logout CSRF, CWE-352).
 */
@Injectable()
export class EndSession {
  private readonly issuer: string;

  constructor(
    @InjectAppConfig() config: AppConfig,
    private readonly sessions: SessionService,
    private readonly signedInUsers: SignedInUsers,
    private readonly users: UserService,
    private readonly clients: ClientService,
    private readonly hints: IdTokenHintVerifier,
    private readonly csrf: LogoutCsrfTokens,
    private readonly audit: AuditService,
  ) {
    this.issuer = config.issuer;
  }

  /**
   * The end-session endpoint (s2), by GET query or POST form.
   * @throws EndSessionError for an invalid request (see `validateEndSessionRequest`).
   */
  async request(input: unknown, cookieHeader: string | string[] | undefined): Promise<EndSessionOutcome> {
    const request = await this.validate(AuthorizationParameters.from(input));
    const cookie = this.signedInUsers.sessionCookie(cookieHeader);
    const session = await this.sessions.resolve(cookie);
    // No live session: nothing to end and nothing a forged request could do harm with.
    if (!session) return this.signedOut(request);
    if (request.hint !== undefined && request.hint.sub === session.userId) {
      await this.end(cookie, session, request, 'id_token_hint');
      return this.signedOut(request);
    }
    return this.confirmation(request, session);
  }

  /**
   * The "Sign out?" form post: the same parameters, validated again, plus the CSRF token.
   * `logout=no` (the "Stay signed in" button) keeps the session and returns to the client
   * as node-oidc-provider does; anything else signs out.
   * @throws EndSessionError `invalid_csrf_token` (403) when the token is not the session's; the session stays.
   */
  async confirm(form: AuthorizationParameters, cookieHeader: string | string[] | undefined): Promise<EndSessionOutcome> {
    const request = await this.validate(form);
    const cookie = this.signedInUsers.sessionCookie(cookieHeader);
    const session = await this.sessions.resolve(cookie);
    if (!session) return this.signedOut(request);
    this.csrf.assertToken(session.id, form.get('csrf_token'));
    if (form.get('logout') === 'no') return { kind: 'stayed', location: postLogoutLocation(request) };
    await this.end(cookie, session, request, 'confirmed');
    return this.signedOut(request);
  }

  private validate(params: AuthorizationParameters): Promise<EndSessionRequest> {
    return validateEndSessionRequest(params, {
      verifyHint: (token) => this.hints.verify(token),
      findClient: async (clientId) => (await this.clients.credentials(clientId))?.client,
    });
  }

  private async end(cookie: string | undefined, session: UserSession, request: EndSessionRequest, method: LogoutMethod): Promise<void> {
    await this.sessions.end(cookie);
    const user: AuditParty = { type: 'user', id: session.userId };
    this.audit.record({
      type: 'auth.logout',
      outcome: 'success',
      actor: user,
      subject: user,
      details: { session: session.id, method, ...(request.client ? { client: request.client.clientId } : {}) },
    });
  }

  private signedOut(request: EndSessionRequest): EndSessionOutcome {
    return { kind: 'signed_out', location: postLogoutLocation(request), clearCookie: clearCookie(this.issuer, sessionCookieName(this.issuer)) };
  }

  private async confirmation(request: EndSessionRequest, session: UserSession): Promise<EndSessionOutcome> {
    const user = await this.users.get(session.userId).catch(() => undefined);
    return {
      kind: 'confirm',
      postLogoutRedirectUri: request.postLogoutRedirectUri,
      page: {
        applicationName: request.client ? (request.client.clientName ?? request.client.clientId) : undefined,
        userEmail: user?.email,
        csrfToken: this.csrf.token(session.id),
        clientId: request.client?.clientId,
        postLogoutRedirectUri: request.postLogoutRedirectUri,
        state: request.state,
      },
    };
  }
}
