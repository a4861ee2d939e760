import { Body, Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { cookieNames, readCookie, serializeCookie, type CookieNames } from '../session/session-cookie';
import { PENDING_LOGIN_TTL_MS, SessionService } from '../session/session.service';
import { REAUTH_PARAM, RETURN_TO_PARAM, returnPathOf } from './return-path';
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

  /**
   * Starts authorization code + PKCE: 302 to auth-server's authorization endpoint. Query
   * (both optional): `reauth=1` asks for a new sign-in (`prompt=login`); `return_to` names
   * where the callback goes instead of `/`, only from the fixed list of `RETURN_PATHS`
   * (anything else, or a parameter given twice, is ignored: RFC 9700 s4.11).
   */
  @Get('login')
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = new URL(request.url, this.config.demo.publicUrl).searchParams;
    const returnTo = returnPathOf(single(query, RETURN_TO_PARAM));
    const { loginHandle, authorizationUrl } = await this.signIn.begin({
      reauthenticate: single(query, REAUTH_PARAM) === '1',
      ...(returnTo ? { returnTo } : {}),
    });
    reply
      .header('Cache-Control', 'no-store')
      .header('Set-Cookie', serializeCookie(this.cookies.login, loginHandle, { secure: this.cookies.secure, maxAgeSeconds: PENDING_LOGIN_TTL_MS / 1000 }))
      .redirect(authorizationUrl, 302);
  }

  /**
   * The redirect URI: completes the sign-in, ends the browser's previous session if any,
   * sets the new session cookie, 303 to the sign-in's return path or `/`.
   */
  @Get('callback')
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const loginHandle = readCookie(request.headers.cookie, this.cookies.login);
    // The pending sign-in is single-use whatever the outcome; its cookie goes too.
    reply.header('Cache-Control', 'no-store').header('Set-Cookie', serializeCookie(this.cookies.login, '', { secure: this.cookies.secure, maxAgeSeconds: 0 }));
    const previousSessionId = readCookie(request.headers.cookie, this.cookies.session);
    const { sessionId, redirectTo } = await this.signIn.complete(loginHandle, new URL(request.url, this.config.demo.publicUrl), previousSessionId);
    reply
      .header('Set-Cookie', serializeCookie(this.cookies.session, sessionId, { secure: this.cookies.secure, maxAgeSeconds: this.sessions.absoluteMs / 1000 }))
      .redirect(redirectTo, 303);
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

/** The value of query parameter `name` when given exactly once, else undefined. */
function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}
