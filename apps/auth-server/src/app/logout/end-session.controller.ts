import { Controller, Get, HttpStatus, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthorizationParameters } from '../authorize/authorization-parameters';
import { PATHS } from '../oauth/endpoints';
import { pageHeaders } from '../signin/page-layout';
import { assertFormBody } from './end-session-request';
import { END_SESSION_CONFIRM_PATH, confirmSignOutPage, signedOutPage, stillSignedInPage } from './end-session-pages';
import { EndSession, type EndSessionOutcome } from './end-session.service';
import { PageErrorFilter } from '../signin/page-error.filter';

/**
 * The end-session endpoint of OpenID Connect RP-Initiated Logout 1.0 (s2: GET, or POST with
 * a form body) and its confirmation form. Parse, let {@link EndSession} decide, write the
 * answer: a redirect (302 after GET, 303 after POST: RFC 9110 s15.4.4) or a page with the
 * sign-in page headers. Failures are pages ({@link PageErrorFilter}).
 */
@Controller()
@UseFilters(new PageErrorFilter('sign-out'))
export class EndSessionController {
  constructor(private readonly endSession: EndSession) {}

  @Get(PATHS.endSession)
  async endSessionByGet(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.endSession.request(request.query, request.headers.cookie), HttpStatus.FOUND);
  }

  @Post(PATHS.endSession)
  async endSessionByPost(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertFormBody(request.headers['content-type']);
    this.send(reply, await this.endSession.request(request.body, request.headers.cookie), HttpStatus.SEE_OTHER);
  }

  @Post(END_SESSION_CONFIRM_PATH)
  async confirm(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    assertFormBody(request.headers['content-type']);
    this.send(reply, await this.endSession.confirm(AuthorizationParameters.from(request.body), request.headers.cookie), HttpStatus.SEE_OTHER);
  }

  private send(reply: FastifyReply, outcome: EndSessionOutcome, redirectStatus: HttpStatus.FOUND | HttpStatus.SEE_OTHER): void {
    if (outcome.kind === 'confirm') {
      // form-action names the redirect's origin: Chromium applies it to the redirect after the post.
      reply.code(HttpStatus.OK).headers(pageHeaders(outcome.postLogoutRedirectUri)).send(confirmSignOutPage(outcome.page));
      return;
    }
    if (outcome.kind === 'signed_out') reply.header('Set-Cookie', outcome.clearCookie);
    if (outcome.location !== undefined) {
      reply.code(redirectStatus).header('Location', outcome.location).header('Cache-Control', 'no-store').header('Referrer-Policy', 'no-referrer').send();
      return;
    }
    reply.code(HttpStatus.OK).headers(pageHeaders()).send(outcome.kind === 'signed_out' ? signedOutPage() : stillSignedInPage());
  }
}
