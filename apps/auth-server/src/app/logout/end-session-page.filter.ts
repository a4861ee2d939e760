import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequestContext } from '@authkit/observability';
import { pageHeaders } from '../signin/page-layout';
import { errorPage } from '../signin/sign-in-pages';
import { EndSessionError, type EndSessionErrorCode } from './end-session-errors';

interface PageFailure {
  readonly status: number;
  readonly code: EndSessionErrorCode;
  readonly title: string;
  readonly message: string;
}

/**
 * Renders failures of the end-session endpoint as HTML pages with the sign-in page headers
 * (CSP, frame-ancestors none, no-store): the stable code, fixed text, no echo of the request
 * and no link to any redirect URI. Anything unexpected is a bare 500 page; details go to the log.
 */
@Catch()
export class EndSessionPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('EndSessionPageFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const failure = this.describe(exception);
    reply.code(failure.status).headers(pageHeaders()).send(errorPage(failure.title, failure.message, failure.code));
  }

  private describe(exception: unknown): PageFailure {
    if (exception instanceof EndSessionError) {
      const status = exception.getStatus();
      return { status, code: exception.code, title: status === HttpStatus.FORBIDDEN ? 'Request refused' : 'Sign-out request not valid', message: exception.userMessage };
    }
    const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown })?.statusCode;
    if (status === HttpStatus.SERVICE_UNAVAILABLE) {
      return { status, code: 'temporarily_unavailable', title: 'Temporarily unavailable', message: 'Signing out is temporarily unavailable. Try again in a moment.' };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, code: 'invalid_request', title: 'Sign-out request not valid', message: 'The request could not be processed. Go back to the application and try again.' };
    }
    this.logger.error(`unhandled ${(exception as Error)?.name ?? 'error'} (request ${RequestContext.current()?.requestId ?? '-'})`, (exception as Error)?.stack);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: 'server_error', title: 'Something went wrong', message: 'Signing out failed. Try again later.' };
  }
}
