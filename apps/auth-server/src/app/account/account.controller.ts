import { Controller, Header, HttpCode, HttpStatus, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuditQueryService } from '@authkit/audit';
import { AuthThrottle, AuthThrottlerGuard } from '@authkit/auth';
import { OAuthError } from '../oauth/oauth-error';
import { TotpEnrollmentService, type SecondFactorStatus, type TotpEnrollment } from '../mfa/totp-enrollment.service';
import { SecondFactorError } from '../mfa/second-factor-errors';
import { SessionClock } from '../sessions/session-clock';
import { AccountCallers } from './account-caller';

/** Paths of the account API, relative to the issuer. */
export const ACCOUNT_PATHS = {
  mfa: '/account/mfa',
  totp: '/account/mfa/totp',
  totpConfirm: '/account/mfa/totp/confirm',
  totpDisable: '/account/mfa/totp/disable',
  recoveryCodes: '/account/mfa/recovery-codes',
  events: '/account/events',
} as const;

/** One of the user's recent security events, as the user may see it (no addresses, no details). */
export interface AccountEvent {
  readonly id: string;
  readonly time: string;
  readonly type: string;
  readonly outcome: 'success' | 'failure';
}

/**
 * How recent the sign-in behind the token must be to start setting up an authenticator
 * (OWASP ASVS 5.0 V7.5.1: re-authenticate before changing MFA configuration): 15 minutes.
 */
export const MFA_SETUP_MAX_AGE_SECONDS = 900;
const DEFAULT_EVENTS = 20;
const MAX_EVENTS = 100;
const EVENT_LIMIT = /^[1-9][0-9]{0,2}$/;

/**
 * The account API: what a client (such as the demo) needs to let its signed-in user manage
 * their own second factor and see their security events. Every call is a form POST,
 * authenticated by {@link AccountCallers} (client authentication plus the user's access
 * token issued to that client); answers are JSON, never cached. Throttled per address and
 * client with the `token` preset; codes also count against the user's second-factor limit.
 */
@Controller()
@UseGuards(AuthThrottlerGuard)
@AuthThrottle('token')
export class AccountController {
  constructor(
    private readonly callers: AccountCallers,
    private readonly enrollment: TotpEnrollmentService,
    private readonly auditQueries: AuditQueryService,
    private readonly clock: SessionClock,
  ) {}

  @Post(ACCOUNT_PATHS.mfa)
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async status(@Req() request: FastifyRequest): Promise<SecondFactorStatus> {
    const { user } = await this.callers.authenticate(request, ACCOUNT_PATHS.mfa);
    return this.enrollment.status(user.id);
  }

  /**
   * Starts (or restarts) setting up an authenticator app: the secret, shown once. Needs a
   * sign-in of the last {@link MFA_SETUP_MAX_AGE_SECONDS}; else 401
   * `insufficient_user_authentication` with `max_age` (RFC 9470 s3), and the client signs
   * the user in again (`prompt=login`).
   */
  @Post(ACCOUNT_PATHS.totp)
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async startTotp(@Req() request: FastifyRequest): Promise<TotpEnrollment> {
    const { user, claims } = await this.callers.authenticate(request, ACCOUNT_PATHS.totp);
    if (claims.auth_time === undefined || Math.floor(this.clock.now() / 1000) - claims.auth_time > MFA_SETUP_MAX_AGE_SECONDS) {
      throw new SecondFactorError('insufficient_user_authentication', { max_age: MFA_SETUP_MAX_AGE_SECONDS });
    }
    return this.enrollment.start(user);
  }

  /** Confirms the set-up with a code from the app; answers the recovery codes, shown once. */
  @Post(ACCOUNT_PATHS.totpConfirm)
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async confirmTotp(@Req() request: FastifyRequest): Promise<{ recovery_codes: string[] }> {
    const { user, params, claims } = await this.callers.authenticate(request, ACCOUNT_PATHS.totpConfirm);
    return { recovery_codes: await this.enrollment.confirm(user.id, requiredCode(params.get('code')), claims.jti) };
  }

  /** Turns the second factor off; needs a current code from the app. */
  @Post(ACCOUNT_PATHS.totpDisable)
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async disableTotp(@Req() request: FastifyRequest): Promise<SecondFactorStatus> {
    const { user, params } = await this.callers.authenticate(request, ACCOUNT_PATHS.totpDisable);
    return this.enrollment.disable(user.id, requiredCode(params.get('code')));
  }

  /** New recovery codes (shown once) for a current authenticator code; the old ones stop working. */
  @Post(ACCOUNT_PATHS.recoveryCodes)
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async regenerateRecoveryCodes(@Req() request: FastifyRequest): Promise<{ recovery_codes: string[] }> {
    const { user, params } = await this.callers.authenticate(request, ACCOUNT_PATHS.recoveryCodes);
    return { recovery_codes: await this.enrollment.regenerateRecoveryCodes(user.id, requiredCode(params.get('code'))) };
  }

  /** The user's own recent security events, newest first (`limit` 1 to 100, default 20). */
  @Post(ACCOUNT_PATHS.events)
  @HttpCode(HttpStatus.OK)
  @Header('Cache-Control', 'no-store')
  async events(@Req() request: FastifyRequest): Promise<{ events: AccountEvent[] }> {
    const { user, params } = await this.callers.authenticate(request, ACCOUNT_PATHS.events);
    const limitText = params.get('limit');
    if (limitText !== undefined && (!EVENT_LIMIT.test(limitText) || Number(limitText) > MAX_EVENTS)) {
      throw new OAuthError('invalid_request', `limit must be an integer from 1 to ${MAX_EVENTS}.`);
    }
    const page = await this.auditQueries.find({ userId: user.id, limit: limitText === undefined ? DEFAULT_EVENTS : Number(limitText) });
    return { events: page.events.map((e) => ({ id: e.id, time: e.occurredAt, type: e.type, outcome: e.outcome })) };
  }
}

function requiredCode(code: string | undefined): string {
  if (code === undefined) throw new OAuthError('invalid_request', 'The code parameter is required.');
  return code.trim();
}
