import { Injectable, Logger } from '@nestjs/common';
import { SessionService } from '../session/session.service';
import { AccountApiClient, AccountApiError, type MfaStatus, type SecurityEvent, type TotpEnrollment } from './account-api.client';
import { SecurityError } from './security-error';

/** Security events shown on `/security`. */
export const EVENTS_SHOWN = 20;

/**
 * The account API on behalf of the user of a demo session: each call carries the session's
 * access token (refreshed first when about to expire), and an `invalid_token` answer gets
 * one refresh and one retry. When even that fails the user must sign in again: the demo
 * session ends. Every other failure becomes a {@link SecurityError}, so pages never show
 * auth-server's text.
 */
@Injectable()
export class AccountService {
  private readonly logger = new Logger('DemoAccount');

  constructor(
    private readonly api: AccountApiClient,
    private readonly sessions: SessionService,
  ) {}

  /** Whether two-factor authentication is on. @throws SecurityError */
  status(sessionId: string): Promise<MfaStatus> {
    return this.asUser(sessionId, (token) => this.api.mfaStatus(token));
  }

  /** The user's latest security events, newest first. @throws SecurityError */
  async events(sessionId: string): Promise<readonly SecurityEvent[]> {
    const events = await this.asUser(sessionId, (token) => this.api.events(token, EVENTS_SHOWN));
    // auth-server sends them newest first; the page must show them so whatever it sent.
    return [...events].sort((a, b) => (Date.parse(b.time) || 0) - (Date.parse(a.time) || 0));
  }

  /**
   * Starts (or restarts) an authenticator enrollment.
   * @throws SecurityError (`conflict` when two-factor is on, `reauthentication_required` when the sign-in is too old)
   */
  startTotp(sessionId: string): Promise<TotpEnrollment> {
    return this.asUser(sessionId, (token) => this.api.startTotp(token));
  }

  /**
   * Confirms the enrollment with a code from the app.
   * @returns the recovery codes, or undefined when auth-server refused the code (`invalid_code`).
   * @throws SecurityError (`conflict` when no enrollment is pending)
   */
  confirmTotp(sessionId: string, code: string): Promise<readonly string[] | undefined> {
    return this.asUser(sessionId, (token) => this.api.confirmTotp(token, code).catch(undefinedOnInvalidCode));
  }

  /**
   * Turns two-factor authentication off with a current code.
   * @returns false when auth-server refused the code (`invalid_code`).
   * @throws SecurityError (`conflict` when two-factor is off)
   */
  async disableTotp(sessionId: string, code: string): Promise<boolean> {
    return (await this.asUser(sessionId, (token) => this.api.disableTotp(token, code).catch(undefinedOnInvalidCode))) !== undefined;
  }

  /**
   * Replaces the recovery codes with new ones, given a current code; the old ones stop working.
   * @returns the new recovery codes, or undefined when auth-server refused the code (`invalid_code`).
   * @throws SecurityError (`conflict` when two-factor is off)
   */
  regenerateRecoveryCodes(sessionId: string, code: string): Promise<readonly string[] | undefined> {
    return this.asUser(sessionId, (token) => this.api.regenerateRecoveryCodes(token, code).catch(undefinedOnInvalidCode));
  }

  private async asUser<T>(sessionId: string, call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.token(sessionId, () => this.sessions.accessTokenFor(sessionId));
    try {
      return await call(token);
    } catch (error) {
      if (!isInvalidToken(error)) throw this.toSecurityError(error);
    }
    // RFC 6750 s3.1: the token was refused before its expiry (e.g. revoked); a refresh may mend it.
    const fresh = await this.token(sessionId, () => this.sessions.accessTokenAfterRejection(sessionId, token));
    if (fresh === token) throw new SecurityError('unavailable');
    try {
      return await call(fresh);
    } catch (error) {
      if (isInvalidToken(error)) await this.endSession(sessionId);
      throw this.toSecurityError(error);
    }
  }

  /** The session's access token; no session (or a dead refresh token) is `signed_out`. */
  private async token(sessionId: string, get: () => Promise<string | undefined>): Promise<string> {
    let token: string | undefined;
    try {
      token = await get();
    } catch (error) {
      this.logger.warn(`no access token for the account API (${(error as Error)?.name ?? 'error'})`);
      throw new SecurityError('unavailable');
    }
    if (token === undefined) {
      await this.endSession(sessionId);
      throw new SecurityError('signed_out');
    }
    return token;
  }

  private async endSession(sessionId: string): Promise<void> {
    await this.sessions.end(sessionId).catch(() => undefined);
  }

  private toSecurityError(error: unknown): SecurityError {
    if (!(error instanceof AccountApiError)) {
      this.logger.warn(`account API call failed (${(error as Error)?.name ?? 'error'})`);
      return new SecurityError('unavailable');
    }
    switch (error.code) {
      case 'invalid_token':
        return new SecurityError('signed_out');
      case 'insufficient_user_authentication':
        // RFC 9470: a refresh keeps the old auth_time; only a new sign-in helps.
        return new SecurityError('reauthentication_required');
      case 'invalid_request':
      case 'invalid_code':
        return new SecurityError('bad_request');
      case 'mfa_already_enabled':
      case 'mfa_not_enabled':
      case 'enrollment_not_started':
        return new SecurityError('conflict');
      case 'too_many_requests':
        return new SecurityError('rate_limited', error.retryAfterSeconds);
      case 'invalid_client':
        // A misconfiguration, not the user's doing: say what to check, and fail closed.
        this.logger.error('auth-server refused the demo client credentials at the account API: check DEMO_CLIENT_ID and DEMO_CLIENT_SECRET');
        return new SecurityError('unavailable');
      case 'unexpected_response':
        if (error.status === 200) this.logger.warn('account API answered 200 with a body not of the documented shape');
        return new SecurityError('unavailable');
      case 'temporarily_unavailable':
        return new SecurityError('unavailable');
    }
  }
}

function isInvalidToken(error: unknown): boolean {
  return error instanceof AccountApiError && error.code === 'invalid_token';
}

function undefinedOnInvalidCode(error: unknown): undefined {
  if (error instanceof AccountApiError && error.code === 'invalid_code') return undefined;
  throw error;
}
