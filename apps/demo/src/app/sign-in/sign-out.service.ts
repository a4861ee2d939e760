import { Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { RelyingPartyService } from '../oidc/relying-party.service';
import { SessionService } from '../session/session.service';
import { SignInError } from './sign-in-error';

/** What the sign-out endpoint reads from the request. */
export interface SignOutRequest {
  /** The `Origin` header. */
  readonly origin: string | undefined;
  /** The session cookie's value. */
  readonly sessionId: string | undefined;
  /** The `csrf` field of the posted form. */
  readonly csrfToken: unknown;
}

/**
 * Sign-out (POST /auth/logout), behind two CSRF defences (OWASP CSRF cheat sheet): the
 * request's `Origin` must be the demo's own, and the form must carry the token bound to
 * the session. Then the refresh token is revoked (RFC 7009), the session deleted, and the
 * browser sent on to auth-server's end-session endpoint (OpenID Connect RP-Initiated Logout
 * 1.0 s2), so that its sign-in session ends too: else the next "Sign in" on a shared
 * computer would sign the next person in as this user without a password.
 */
@Injectable()
export class SignOutService {
  private readonly ownOrigin: string;

  constructor(
    @InjectAppConfig() config: AppConfig,
    private readonly sessions: SessionService,
    private readonly relyingParty: RelyingPartyService,
  ) {
    this.ownOrigin = new URL(config.demo.publicUrl).origin;
  }

  /**
   * Ends the session named by the request, if any.
   * @returns where to send the browser: auth-server's end-session URL (with the session's
   *   ID token as `id_token_hint`), or `/` when there was no session or the issuer cannot
   *   be discovered or announces no end-session endpoint.
   * @throws SignInError `csrf_refused` when the origin or the form token is wrong.
   */
  async signOut(request: SignOutRequest): Promise<string> {
    this.assertSameOrigin(request.origin);
    if (request.sessionId === undefined) return '/';
    await this.assertCsrfToken(request.sessionId, request.csrfToken);
    const ended = await this.sessions.end(request.sessionId);
    // An unreachable auth-server would leave the browser on an error page: stay on the demo.
    if (ended.issuerUnreachable) return '/';
    return (await this.relyingParty.endSessionUrl(ended.idToken)) ?? '/';
  }

  /** Browsers send `Origin` on every POST; a missing or foreign one is refused. */
  private assertSameOrigin(origin: string | undefined): void {
    if (origin !== this.ownOrigin) throw new SignInError('csrf_refused');
  }

  /** The synchronizer token of the session's sign-out form. */
  private async assertCsrfToken(sessionId: string, candidate: unknown): Promise<void> {
    if (typeof candidate !== 'string' || candidate === '' || !(await this.sessions.csrfTokenMatches(sessionId, candidate))) {
      throw new SignInError('csrf_refused');
    }
  }
}
