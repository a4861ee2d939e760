import { Controller, HttpStatus, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthThrottle, AuthThrottlerGuard } from '@authkit/auth';
import { AuthorizationFlow } from '../authorize/authorization-flow.service';
import { AuthorizationRequests } from '../authorize/authorization-requests.service';
import { AuthorizationStepResponder } from './authorization-step.responder';
import { CsrfTokens } from './csrf-tokens';
import { PasswordSignIn } from './password-sign-in.service';
import { consentForm, loginForm } from './sign-in-forms';
import { PageErrorFilter } from './page-error.filter';
import { SIGN_IN_PATHS } from './sign-in-paths';
import { SignedInUsers } from './signed-in-user';

/**
 * The login and consent form posts. Each: read the form, check its CSRF token, restore the
 * authorization request it carries, act, and continue the authorization itself (no
 * redirect back to the authorization endpoint, which would ask to sign in again under
 * `prompt=login` or `max_age=0`).
 */
@Controller()
@UseFilters(new PageErrorFilter('sign-in'))
export class SignInController {
  constructor(
    private readonly requests: AuthorizationRequests,
    private readonly csrf: CsrfTokens,
    private readonly passwordSignIn: PasswordSignIn,
    private readonly signedInUsers: SignedInUsers,
    private readonly flow: AuthorizationFlow,
    private readonly responder: AuthorizationStepResponder,
  ) {}

  /** Throttled per address and per account (`login` preset; OWASP ASVS 5.0 V6.3.1). */
  @Post(SIGN_IN_PATHS.login)
  @UseGuards(AuthThrottlerGuard)
  @AuthThrottle('login')
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = loginForm(request.headers['content-type'], request.body);
    this.csrf.assertLoginToken(request.headers.cookie, form.csrfToken);
    const { request: authorization, client } = await this.requests.restore(form.authorizationRequest);
    const signedIn = await this.passwordSignIn.signIn(form.email, form.password, this.signedInUsers.sessionCookie(request.headers.cookie));
    if (!signedIn) {
      this.responder.send(request, reply, { kind: 'login', request: authorization, client }, { redirectStatus: HttpStatus.SEE_OTHER, failedEmail: form.email });
      return;
    }
    reply.header('Set-Cookie', signedIn.setCookie);
    const step = await this.flow.next({ ...authorization, authenticatedSessionId: signedIn.session.id }, client, signedIn);
    this.responder.send(request, reply, step, { redirectStatus: HttpStatus.SEE_OTHER });
  }

  @Post(SIGN_IN_PATHS.consent)
  async consent(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = consentForm(request.headers['content-type'], request.body);
    const { request: authorization, client } = await this.requests.restore(form.authorizationRequest);
    const signedIn = await this.signedInUsers.resolve(request.headers.cookie);
    if (!signedIn) {
      this.responder.send(request, reply, { kind: 'login', request: authorization, client }, { redirectStatus: HttpStatus.SEE_OTHER });
      return;
    }
    this.csrf.assertConsentToken(signedIn.session.id, form.csrfToken);
    const step = await this.flow.consentDecided(authorization, client, signedIn, form.allow);
    this.responder.send(request, reply, step, { redirectStatus: HttpStatus.SEE_OTHER });
  }
}
