import { Controller, Get, Header, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { escapeHtml, page, pageHeadersWithIssuer } from './page';
import { cookieNames, readCookie } from './session/session-cookie';
import { SessionService, type SessionView } from './session/session.service';

/** The demo's home page: `Sign in` when signed out; the user, API links and `Sign out` when signed in. */
@Controller()
export class HomeController {
  private readonly sessionCookie: string;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    private readonly sessions: SessionService,
  ) {
    this.sessionCookie = cookieNames(config.demo.publicUrl).session;
    this.headers = pageHeadersWithIssuer(config.issuer);
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  async home(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const sessionId = readCookie(request.headers.cookie, this.sessionCookie);
    // A store outage shows the signed-out page rather than an error; /api/* fails closed instead.
    const session = sessionId ? await this.sessions.find(sessionId).catch(() => undefined) : undefined;
    const issuer = escapeHtml(this.config.issuer);
    reply.headers(this.headers).send(
      page(
        'nest-authkit demo',
        `<h1>nest-authkit demo</h1>
<p>A NestJS service protected by <code>@authkit/auth</code>, signing users in through the authorization server at
<a href="${issuer}">${issuer}</a>.</p>
${session ? signedIn(session) : '<p><a class="button" href="/auth/login">Sign in</a></p>'}`,
      ),
    );
  }

  @Get('health')
  @Header('Cache-Control', 'no-store')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

/** The signed-in part of the page. The tokens stay on the server; only the form's CSRF token is here. */
function signedIn(session: SessionView): string {
  return `<p>Signed in as <strong>${escapeHtml(session.email ?? session.sub)}</strong>.</p>
<ul>
<li><a href="/api/me">/api/me</a>: who the API sees</li>
<li><a href="/api/reports">/api/reports</a>: needs scope <code>demo:read</code></li>
<li><a href="/security">Security</a>: two-factor authentication and recent security events</li>
</ul>
<form method="post" action="/auth/logout">
<input type="hidden" name="csrf" value="${escapeHtml(session.csrfToken)}">
<button type="submit">Sign out</button>
</form>`;
}
