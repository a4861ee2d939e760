import { Body, Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { cookieNames, readCookie, serializeCookie, type CookieNames } from '../session/session-cookie';
import { PENDING_LOGIN_TTL_MS, SessionService } from '../session/session.service';
import { SignInErrorFilter } from './sign-in-error.filter';
import { SignInService } from './sign-in.service';
import { SignOutService } from './sign-out.service';

/**
 * The demo's sign-in endpoints (a backend for frontend): `GET /auth/login`,
 * `GET /auth/callback`, `POST /auth/logout`. Tokens stay on the server; the browser gets
 * only HTTP-only cookies holding random handles.
 */
@Controller('auth')
@UseFilters(SignInErrorFilter)
export class SignInController {
  private readonly cookies: CookieNames;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly signIn: SignInService,
    private readonly signOutService: SignOutService,
    private readonly sessions: SessionService,
  ) {
    this.cookies = cookieNames(config.demo.publicUrl);
  }

  /** Starts authorization code + PKCE: 302 to auth-server's authorization endpoint. */
  @Get('login')
  async login(@Res() reply: FastifyReply): Promise<void> {
    const { loginHandle, authorizationUrl } = await this.signIn.begin();
    reply
      .header('Cache-Control', 'no-store')
      .header('Set-Cookie', serializeCookie(this.cookies.login, loginHandle, { secure: this.cookies.secure, maxAgeSeconds: PENDING_LOGIN_TTL_MS / 1000 }))
      .redirect(authorizationUrl, 302);
  }

  /** The redirect URI: completes the sign-in, sets the session cookie, 303 to `/`. */
  @Get('callback')
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const loginHandle = readCookie(request.headers.cookie, this.cookies.login);
    // The pending sign-in is single-use whatever the outcome; its cookie goes too.
    reply.header('Cache-Control', 'no-store').header('Set-Cookie', serializeCookie(this.cookies.login, '', { secure: this.cookies.secure, maxAgeSeconds: 0 }));
    const sessionId = await this.signIn.complete(loginHandle, new URL(request.url, this.config.demo.publicUrl));
    reply
      .header('Set-Cookie', serializeCookie(this.cookies.session, sessionId, { secure: this.cookies.secure, maxAgeSeconds: this.sessions.absoluteMs / 1000 }))
      .redirect('/', 303);
  }

  /**
   * The `Sign out` form: revokes the refresh token, ends the session, clears the cookie, then
   * 303 to auth-server's end-session endpoint (RP-Initiated Logout 1.0), or to `/` without one.
   */
  @Post('logout')
  async logout(@Req() request: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const origin = request.headers.origin;
    const next = await this.signOutService.signOut({
      origin: typeof origin === 'string' ? origin : undefined,
      sessionId: readCookie(request.headers.cookie, this.cookies.session),
      csrfToken: body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['csrf'] : undefined,
    });
    reply
      .header('Cache-Control', 'no-store')
      .header('Set-Cookie', serializeCookie(this.cookies.session, '', { secure: this.cookies.secure, maxAgeSeconds: 0 }))
      .redirect(next, 303);
  }
}
