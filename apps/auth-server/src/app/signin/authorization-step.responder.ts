import { HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthorizationStep } from '../authorize/authorization-flow.service';
import { AuthorizationRequests } from '../authorize/authorization-requests.service';
import type { ClientEntity } from '../clients/client.entity';
import { CsrfTokens } from './csrf-tokens';
import { pageHeaders } from './page-layout';
import type { AuthorizationRequest } from '../authorize/authorization-request';
import { consentPage, loginPage, recoveryCodePage, secondFactorPage } from './sign-in-pages';

/** How to answer a step: the redirect status, and for the login page a failure to show. */
export interface StepResponseOptions {
  /** 302 after a GET, 303 after a POST (RFC 9110 s15.4.4: the client follows with a GET). */
  readonly redirectStatus: HttpStatus.FOUND | HttpStatus.SEE_OTHER;
  /** The login page after wrong credentials: 401, the submitted email kept, one generic message. */
  readonly failedEmail?: string;
}

/** A second-factor page to show: which factor, for which authorization request, and whether a code just failed. */
export interface SecondFactorStep {
  readonly method: 'totp' | 'recovery_code';
  readonly request: AuthorizationRequest;
  readonly client: ClientEntity;
  readonly failed?: boolean;
  /** The authenticator is locked after too many wrong codes: say so, and point at recovery codes. */
  readonly locked?: boolean;
}

/** Writes an {@link AuthorizationStep} as an HTTP response: a page with its CSRF token, or a redirect. */
@Injectable()
export class AuthorizationStepResponder {
  constructor(
    private readonly requests: AuthorizationRequests,
    private readonly csrf: CsrfTokens,
  ) {}

  /** Writes a second-factor page (200, or 401 after a wrong code) with this browser's login CSRF token. */
  sendSecondFactor(request: FastifyRequest, reply: FastifyReply, step: SecondFactorStep): FastifyReply {
    const binding = this.csrf.binding(request.headers.cookie);
    if (binding.setCookie) reply.header('Set-Cookie', binding.setCookie);
    const model = {
      applicationName: applicationName(step.client),
      sealedRequest: this.requests.seal(step.request),
      csrfToken: this.csrf.loginToken(binding.value),
      failed: step.failed === true,
      locked: step.locked === true,
    };
    const html = step.method === 'totp' ? secondFactorPage(model) : recoveryCodePage(model);
    return reply.code(step.failed ? HttpStatus.UNAUTHORIZED : HttpStatus.OK).headers(pageHeaders(step.request.redirectUri)).send(html);
  }

  send(request: FastifyRequest, reply: FastifyReply, step: AuthorizationStep, options: StepResponseOptions): FastifyReply {
    if (step.kind === 'redirect') {
      return reply.code(options.redirectStatus).header('Location', step.location).header('Cache-Control', 'no-store').header('Referrer-Policy', 'no-referrer').send();
    }
    if (step.kind === 'login') {
      const binding = this.csrf.binding(request.headers.cookie);
      if (binding.setCookie) reply.header('Set-Cookie', binding.setCookie);
      const failed = options.failedEmail !== undefined;
      const html = loginPage({
        applicationName: applicationName(step.client),
        sealedRequest: this.requests.seal(step.request),
        csrfToken: this.csrf.loginToken(binding.value),
        email: failed ? options.failedEmail : step.request.loginHint,
        failed,
      });
      return reply.code(failed ? HttpStatus.UNAUTHORIZED : HttpStatus.OK).headers(pageHeaders(step.request.redirectUri)).send(html);
    }
    const html = consentPage({
      applicationName: applicationName(step.client),
      userEmail: step.signedIn.user.email,
      scope: step.request.scope,
      sealedRequest: this.requests.seal(step.request),
      csrfToken: this.csrf.consentToken(step.signedIn.session.id),
    });
    return reply.code(HttpStatus.OK).headers(pageHeaders(step.request.redirectUri)).send(html);
  }
}

function applicationName(client: ClientEntity): string {
  return client.clientName ?? client.clientId;
}
