import { Controller, Get, HttpStatus, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthThrottle, AuthThrottlerGuard } from '@authkit/auth';
import { AuthorizationFlow } from '../authorize/authorization-flow.service';
import type { AuthorizationRequest } from '../authorize/authorization-request';
import { AuthorizationRequests } from '../authorize/authorization-requests.service';
import type { ClientEntity } from '../clients/client.entity';
import { SecondFactorChallenges, type SecondFactorChallenge } from '../mfa/second-factor-challenge';
import { SecondFactorVerifier } from '../mfa/second-factor.verifier';
import type { UserEntity } from '../users/user.entity';
import { UserService } from '../users/user.service';
import { findUser } from '../oauth/user-lookup';
import { AuthorizationStepResponder } from './authorization-step.responder';
import { CsrfTokens } from './csrf-tokens';
import { PasswordSignIn, type PasswordSignInResult, type SecondFactorMethod } from './password-sign-in.service';
import { consentForm, loginForm, secondFactorForm } from './sign-in-forms';
import { PageErrorFilter } from './page-error.filter';
import { SIGN_IN_PATHS } from './sign-in-paths';
import { SignedInUsers } from './signed-in-user';

/**
 * The login, second-factor and consent form posts. Each: read the form, check its CSRF
 * token, restore the authorization request it carries, act, and continue the authorization
 * itself (no redirect back to the authorization endpoint, which would ask to sign in again
 * under `prompt=login` or `max_age=0`).
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
    private readonly challenges: SecondFactorChallenges,
    private readonly secondFactors: SecondFactorVerifier,
    private readonly users: UserService,
  ) {}

  /**
   * Throttled per address and per account (`login` preset; OWASP ASVS 5.0 V6.3.1). A user
   * with a second factor gets the second-factor page and a challenge cookie, no session.
   */
  @Post(SIGN_IN_PATHS.login)
  @UseGuards(AuthThrottlerGuard)
  @AuthThrottle('login')
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = loginForm(request.headers['content-type'], request.body);
    this.csrf.assertLoginToken(request.headers.cookie, form.csrfToken);
    const { request: authorization, client } = await this.requests.restore(form.authorizationRequest);
    const outcome = await this.passwordSignIn.signIn(form.email, form.password, this.signedInUsers.sessionCookie(request.headers.cookie), (user) =>
      this.secondFactors.required(user.id),
    );
    if (outcome.kind === 'failed') {
      this.responder.send(request, reply, { kind: 'login', request: authorization, client }, { redirectStatus: HttpStatus.SEE_OTHER, failedEmail: form.email });
      return;
    }
    if (outcome.kind === 'second_factor') {
      // assertLoginToken passed, so the browser has its CSRF binding.
      reply.header('Set-Cookie', this.challenges.issue(outcome.user.id, this.csrf.currentBinding(request.headers.cookie) ?? ''));
      this.responder.sendSecondFactor(request, reply, { method: 'totp', request: authorization, client });
      return;
    }
    await this.continueSignedIn(request, reply, outcome, authorization, client);
  }

  /** The authenticator code page again (the way back from the recovery code page). */
  @Get(SIGN_IN_PATHS.secondFactor)
  async secondFactorPage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('authorization_request') sealed: unknown): Promise<void> {
    await this.showSecondFactorPage(request, reply, sealed, 'totp');
  }

  /** The recovery code page (CONTRACT: the link `Use a recovery code`). */
  @Get(SIGN_IN_PATHS.recoveryCode)
  async recoveryCodePage(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Query('authorization_request') sealed: unknown): Promise<void> {
    await this.showSecondFactorPage(request, reply, sealed, 'recovery_code');
  }

  /** The authenticator code. Throttled per address (`mfa` preset) and per user (`SecondFactorAttempts`). */
  @Post(SIGN_IN_PATHS.secondFactor)
  @UseGuards(AuthThrottlerGuard)
  @AuthThrottle('mfa')
  async secondFactor(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.verifySecondFactor(request, reply, 'totp');
  }

  /** A recovery code. Throttled like the authenticator code, on the same per-user count. */
  @Post(SIGN_IN_PATHS.recoveryCode)
  @UseGuards(AuthThrottlerGuard)
  @AuthThrottle('mfa')
  async recoveryCode(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.verifySecondFactor(request, reply, 'recovery_code');
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

  private async showSecondFactorPage(request: FastifyRequest, reply: FastifyReply, sealed: unknown, method: SecondFactorMethod): Promise<void> {
    const { request: authorization, client } = await this.requests.restore(typeof sealed === 'string' ? sealed : undefined);
    if (!(await this.challenged(request))) {
      this.responder.send(request, reply, { kind: 'login', request: authorization, client }, { redirectStatus: HttpStatus.FOUND });
      return;
    }
    this.responder.sendSecondFactor(request, reply, { method, request: authorization, client });
  }

  /**
   * Checks the code of a live challenge. No challenge (expired, other browser, user disabled
   * meanwhile): the login page again. A wrong code: the same page with one generic message
   * (401). Right: the challenge ends and the sign-in completes with `amr` `["pwd","otp"]`.
   */
  private async verifySecondFactor(request: FastifyRequest, reply: FastifyReply, method: SecondFactorMethod): Promise<void> {
    const form = secondFactorForm(request.headers['content-type'], request.body, method === 'totp' ? 'code' : 'recovery_code');
    this.csrf.assertLoginToken(request.headers.cookie, form.csrfToken);
    const { request: authorization, client } = await this.requests.restore(form.authorizationRequest);
    const challenged = await this.challenged(request);
    if (!challenged) {
      this.responder.send(request, reply, { kind: 'login', request: authorization, client }, { redirectStatus: HttpStatus.SEE_OTHER });
      return;
    }
    const { user, challenge } = challenged;
    const check = method === 'totp' ? await this.secondFactors.checkTotp(user.id, form.code, 'sign_in') : (await this.secondFactors.verifyRecoveryCode(user.id, form.code)) ? 'accepted' : 'rejected';
    if (check !== 'accepted') {
      this.responder.sendSecondFactor(request, reply, { method, request: authorization, client, failed: true, locked: check === 'locked' });
      return;
    }
    reply.header('Set-Cookie', this.challenges.clear());
    if (!(await this.challenges.complete(challenge))) {
      this.responder.send(request, reply, { kind: 'login', request: authorization, client }, { redirectStatus: HttpStatus.SEE_OTHER });
      return;
    }
    const signedIn = await this.passwordSignIn.completeWithSecondFactor(user, method, this.signedInUsers.sessionCookie(request.headers.cookie));
    await this.continueSignedIn(request, reply, signedIn, authorization, client);
  }

  /** A live challenge of this browser and its user, still active, whose password has not changed since. */
  private async challenged(request: FastifyRequest): Promise<{ user: UserEntity; challenge: SecondFactorChallenge } | undefined> {
    const challenge = this.challenges.read(request.headers.cookie, this.csrf.currentBinding(request.headers.cookie));
    if (challenge === undefined) return undefined;
    const user = await findUser(this.users, challenge.userId);
    if (!user || user.disabled || user.passwordChangedAt.getTime() > challenge.issuedAt) return undefined;
    return { user, challenge };
  }

  private async continueSignedIn(request: FastifyRequest, reply: FastifyReply, signedIn: PasswordSignInResult, authorization: AuthorizationRequest, client: ClientEntity): Promise<void> {
    reply.header('Set-Cookie', signedIn.setCookie);
    const step = await this.flow.next({ ...authorization, authenticatedSessionId: signedIn.session.id }, client, signedIn);
    this.responder.send(request, reply, step, { redirectStatus: HttpStatus.SEE_OTHER });
  }
}
