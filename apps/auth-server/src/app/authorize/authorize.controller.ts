import { Controller, Get, HttpStatus, Post, Req, Res, UseFilters } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PATHS } from '../oauth/endpoints';
import { AuthorizationStepResponder } from '../signin/authorization-step.responder';
import { PageErrorFilter } from '../signin/page-error.filter';
import { SignedInUsers } from '../signin/signed-in-user';
import { AuthorizationPageError } from './authorization-errors';
import { AuthorizationFlow } from './authorization-flow.service';
import { AuthorizationRequests } from './authorization-requests.service';

/**
 * The authorization endpoint (RFC 6749 s3.1), by GET or by POST with a form body (OIDC Core
 * 1.0 s3.1.2.1). Validate the request, resolve the browser's session, let the flow decide
 * the step (login page, consent page, redirect), write it. Failures before the redirect URI
 * is trusted are HTML pages ({@link PageErrorFilter}).
 */
@Controller()
@UseFilters(new PageErrorFilter('sign-in'))
export class AuthorizeController {
  constructor(
    private readonly requests: AuthorizationRequests,
    private readonly signedInUsers: SignedInUsers,
    private readonly flow: AuthorizationFlow,
    private readonly responder: AuthorizationStepResponder,
  ) {}

  @Get(PATHS.authorization)
  async authorizeByGet(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.authorize(request.query, request, reply, HttpStatus.FOUND);
  }

  @Post(PATHS.authorization)
  async authorizeByPost(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // OIDC Core 1.0 s3.1.2.1: POST uses form serialization; a JSON body is not a form.
    if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
      throw new AuthorizationPageError('invalid_request', 'The sign-in request could not be read.');
    }
    await this.authorize(request.body, request, reply, HttpStatus.SEE_OTHER);
  }

  private async authorize(input: unknown, request: FastifyRequest, reply: FastifyReply, redirectStatus: HttpStatus.FOUND | HttpStatus.SEE_OTHER): Promise<void> {
    const validated = await this.requests.validate(input);
    const step = validated.ok
      ? await this.flow.next(validated.request, validated.client, await this.signedInUsers.resolve(request.headers.cookie))
      : this.flow.refused(validated.refusal);
    this.responder.send(request, reply, step, { redirectStatus });
  }
}
