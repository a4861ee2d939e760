import { timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuthorizationResponseError } from 'openid-client';
import { IssuerUnavailableError, RelyingPartyService } from '../oidc/relying-party.service';
import type { PendingLogin } from '../session/session-record';
import { SessionService } from '../session/session.service';
import { SignInError } from './sign-in-error';
import { returnPathOf, type ReturnPath } from './return-path';

/** How a sign-in starts. */
export interface SignInStart {
  /** Ask auth-server for a new sign-in (`prompt=login`), as when it wants a recent one (RFC 9470). */
  readonly reauthenticate?: boolean;
  /** Where the callback sends the browser instead of `/`. */
  readonly returnTo?: ReturnPath;
}

/** A completed sign-in: the new session, and where the browser goes now. */
export interface CompletedSignIn {
  readonly sessionId: string;
  /** An allow-listed return path, or `/`. */
  readonly redirectTo: ReturnPath | '/';
}

/**
 * The two legs of the authorization code flow (RFC 6749 s4.1 with PKCE, OIDC Core s3.1):
 * start a sign-in, and complete it from the callback. Each step is a named check with one
 * reason to fail.
 */
@Injectable()
export class SignInService {
  private readonly logger = new Logger('DemoSignIn');

  constructor(
    private readonly relyingParty: RelyingPartyService,
    private readonly sessions: SessionService,
  ) {}

  /**
   * Creates a pending sign-in (random state, nonce, PKCE verifier and the return path, kept
   * server-side); `reauthenticate` adds `prompt=login` to the authorization request.
   * @returns the login cookie's handle and the authorization URL to redirect to.
   * @throws SignInError `issuer_unavailable`.
   */
  async begin(start: SignInStart = {}): Promise<{ loginHandle: string; authorizationUrl: string }> {
    const returnTo = returnPathOf(start.returnTo);
    const pending: PendingLogin = { ...this.relyingParty.newPendingLogin(), ...(returnTo ? { returnTo } : {}) };
    const authorizationUrl = await this.relyingParty.authorizationUrl(pending, { forceLogin: start.reauthenticate === true }).catch((error: unknown) => {
      this.logger.warn(`cannot start sign-in: ${(error as Error)?.name}`);
      throw new SignInError('issuer_unavailable');
    });
    const loginHandle = await this.sessions.startLogin(pending);
    return { loginHandle, authorizationUrl: authorizationUrl.href };
  }

  /**
   * Completes a sign-in from the callback URL, in order: the pending sign-in (taken: one
   * use), the `state`, the error response, then the code exchange and its checks. The new
   * session replaces the browser's `previousSessionId`, which ends as at sign-out (refresh
   * token revoked, best effort); a failed sign-in leaves it alone.
   * @returns the new session's id and where to send the browser.
   * @throws SignInError with the first failing check's code.
   */
  async complete(loginHandle: string | undefined, callbackUrl: URL, previousSessionId?: string): Promise<CompletedSignIn> {
    const pending = await this.assertPendingLogin(loginHandle);
    assertStateMatches(callbackUrl, pending);
    assertNoErrorResponse(callbackUrl);
    const { tokens, user } = await this.relyingParty.exchangeCode(callbackUrl, pending).catch((error: unknown) => {
      if (error instanceof IssuerUnavailableError) throw new SignInError('issuer_unavailable');
      if (error instanceof AuthorizationResponseError) throw new SignInError('authorization_failed');
      this.logger.warn(`code exchange failed: ${(error as Error)?.name} ${(error as { code?: string })?.code ?? ''}`.trim());
      throw new SignInError('exchange_failed');
    });
    const sessionId = await this.sessions.create(user, tokens);
    if (previousSessionId !== undefined) await this.endPrevious(previousSessionId);
    // Checked again here: the store holds what the start wrote, but only the list decides.
    return { sessionId, redirectTo: returnPathOf(pending.returnTo) ?? '/' };
  }

  /** Ends the session the browser had before this sign-in; a failure leaves the new one standing. */
  private async endPrevious(sessionId: string): Promise<void> {
    try {
      await this.sessions.end(sessionId);
    } catch (error) {
      this.logger.warn(`the session before this sign-in could not be ended (${(error as Error)?.name ?? 'error'}); it expires on its own`);
    }
  }

  private async assertPendingLogin(handle: string | undefined): Promise<PendingLogin> {
    const pending = handle ? await this.sessions.takeLogin(handle) : undefined;
    if (pending === undefined) throw new SignInError('login_expired');
    return pending;
  }
}

/** RFC 6749 s10.12 / RFC 9700 s4.7: the callback must carry this browser's `state`. */
function assertStateMatches(callbackUrl: URL, pending: PendingLogin): void {
  const states = callbackUrl.searchParams.getAll('state');
  const given = Buffer.from(states.length === 1 ? (states[0] ?? '') : '');
  const expected = Buffer.from(pending.state);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SignInError('state_mismatch');
}

/** RFC 6749 s4.1.2.1: an error response (e.g. `access_denied`) ends the sign-in. */
function assertNoErrorResponse(callbackUrl: URL): void {
  if (callbackUrl.searchParams.has('error')) throw new SignInError('authorization_failed');
}

