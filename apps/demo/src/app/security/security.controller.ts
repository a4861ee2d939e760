import { Body, Controller, Get, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { PAGE_HEADERS, pageHeadersWithIssuer } from '../page';
import { cookieNames } from '../session/session-cookie';
import { SessionService } from '../session/session.service';
import { AccountService } from './account.service';
import { SecurityErrorFilter } from './security-error.filter';
import { authenticationCode, liveSession, sessionIdOf, type LiveSession } from './security-form';
import { SecurityFormGuard } from './security-form.guard';
import { newRecoveryCodesPage, overviewPage, recoveryCodesPage, setupPage, turnOffPage } from './security.pages';
import { TotpEnrollmentService } from './totp-enrollment.service';

/**
 * The demo's `/security` page (CONTRACT, "Pages"): two-factor authentication through
 * auth-server's account API, and the user's recent security events. Server-rendered, no
 * script; every form carries the session's CSRF token ({@link SecurityFormGuard}).
 * Without a session, every route sends the browser to `/`, where `Sign in` is.
 */
@Controller('security')
@UseFilters(SecurityErrorFilter)
export class SecurityController {
  private readonly sessionCookie: string;
  /**
   * The overview's headers: its `Set up authenticator app` form may end at auth-server (a
   * sign-in that is too old goes through `/auth/login` to the authorization endpoint), and
   * Chromium applies `form-action` to a form's redirects, so the issuer's origin is allowed too.
   */
  private readonly overviewHeaders: Readonly<Record<string, string>>;

  constructor(
    @InjectAppConfig() config: AppConfig,
    private readonly sessions: SessionService,
    private readonly account: AccountService,
    private readonly enrollment: TotpEnrollmentService,
  ) {
    this.sessionCookie = cookieNames(config.demo.publicUrl).session;
    this.overviewHeaders = pageHeadersWithIssuer(config.issuer);
  }

  /** Two-factor status with its button, and `Recent security events`. */
  @Get()
  async overview(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { id, session } = await this.session(request);
    const [status, events] = await Promise.all([this.account.status(id), this.account.events(id)]);
    reply.headers(this.overviewHeaders).send(overviewPage(session.csrfToken, status, events));
  }

  /**
   * `Set up authenticator app`: starts an enrollment, then shows it (post/redirect/get, so a
   * reload keeps the secret). When auth-server wants a more recent sign-in, 303 to
   * `/auth/login?reauth=1&return_to=%2Fsecurity` instead ({@link SecurityErrorFilter}).
   */
  @Post('totp/setup')
  @UseGuards(SecurityFormGuard)
  async startSetup(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { id } = await this.session(request);
    await this.enrollment.start(id);
    reply.header('Cache-Control', 'no-store').redirect('/security/totp/setup', 303);
  }

  /** The pending enrollment: QR code, `Secret key`, `Authentication code`, `Confirm`. */
  @Get('totp/setup')
  async setup(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { id, session } = await this.session(request);
    const pending = await this.enrollment.pending(id);
    if (pending === undefined) return void reply.header('Cache-Control', 'no-store').redirect('/security', 303);
    reply.headers(PAGE_HEADERS).send(await setupPage(session.csrfToken, pending));
  }

  /** `Confirm`: the recovery codes, once; a refused code shows the same setup again with 400. */
  @Post('totp/confirm')
  @HttpCode(200)
  @UseGuards(SecurityFormGuard)
  async confirm(@Req() request: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const { id, session } = await this.session(request);
    const outcome = await this.enrollment.confirm(id, authenticationCode(body));
    if (outcome.confirmed) return void reply.headers(PAGE_HEADERS).send(recoveryCodesPage(session.csrfToken, outcome.recoveryCodes));
    reply.status(400).headers(PAGE_HEADERS).send(await setupPage(session.csrfToken, outcome.enrollment, true));
  }

  /** `Turn off two-factor authentication`: asks for a current code. Changes nothing yet. */
  @Post('totp/turn-off')
  @HttpCode(200)
  @UseGuards(SecurityFormGuard)
  async turnOff(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session } = await this.session(request);
    reply.headers(PAGE_HEADERS).send(turnOffPage(session.csrfToken));
  }

  /** `Turn off`: back to `/security` when done; a refused code keeps the form, with 400. */
  @Post('totp/disable')
  @UseGuards(SecurityFormGuard)
  async disable(@Req() request: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const { id, session } = await this.session(request);
    const code = authenticationCode(body);
    if (code !== undefined && (await this.account.disableTotp(id, code))) {
      return void reply.header('Cache-Control', 'no-store').redirect('/security', 303);
    }
    reply.status(400).headers(PAGE_HEADERS).send(turnOffPage(session.csrfToken, true));
  }

  /** `Get new recovery codes`: asks for a current code. Changes nothing yet. */
  @Post('recovery-codes/new')
  @HttpCode(200)
  @UseGuards(SecurityFormGuard)
  async newRecoveryCodes(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session } = await this.session(request);
    reply.headers(PAGE_HEADERS).send(newRecoveryCodesPage(session.csrfToken));
  }

  /** `Get new codes`: the new recovery codes, once (the old ones stop working); a refused code keeps the form, with 400. */
  @Post('recovery-codes/regenerate')
  @HttpCode(200)
  @UseGuards(SecurityFormGuard)
  async regenerateRecoveryCodes(@Req() request: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const { id, session } = await this.session(request);
    const code = authenticationCode(body);
    const codes = code === undefined ? undefined : await this.account.regenerateRecoveryCodes(id, code);
    if (codes !== undefined) return void reply.headers(PAGE_HEADERS).send(recoveryCodesPage(session.csrfToken, codes, true));
    reply.status(400).headers(PAGE_HEADERS).send(newRecoveryCodesPage(session.csrfToken, true));
  }

  /** The request's live session. @throws SecurityError `signed_out`, or `unavailable` when the store cannot answer. */
  private session(request: FastifyRequest): Promise<LiveSession> {
    return liveSession(this.sessions, sessionIdOf(request, this.sessionCookie));
  }
}
