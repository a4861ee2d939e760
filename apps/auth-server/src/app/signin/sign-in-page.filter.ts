import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { TooManyRequestsError } from '@authkit/auth';
import { RequestContext } from '@authkit/observability';
import { AuthorizationPageError, type PageErrorCode } from '../authorize/authorization-errors';
import { pageHeaders } from './page-layout';
import { errorPage } from './sign-in-pages';

interface PageFailure {
  readonly status: number;
  readonly code: PageErrorCode;
  readonly title: string;
  readonly message: string;
}

/**
 * Renders failures of the authorization endpoint and the sign-in forms as HTML pages with
 * the page headers (a browser is on the other end, not a client library): the stable code
 * on the page, fixed text, no echo of the request and no link to any redirect URI. A 429
 * keeps its `Retry-After`. Anything unexpected is a bare 500 page; details go to the log.
 */
@Catch()
export class SignInPageFilter implements ExceptionFilter {
  private readonly logger = new Logger('SignInPageFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const failure = this.describe(exception);
    if (exception instanceof TooManyRequestsError) reply.header('Retry-After', String(exception.retryAfterSeconds));
    reply.code(failure.status).headers(pageHeaders()).send(errorPage(failure.title, failure.message, failure.code));
  }

  private describe(exception: unknown): PageFailure {
    if (exception instanceof AuthorizationPageError) {
      const status = exception.getStatus();
      return { status, code: exception.code, title: status === HttpStatus.FORBIDDEN ? 'Request refused' : 'Sign-in request not valid', message: exception.userMessage };
    }
    if (exception instanceof TooManyRequestsError) {
      return { status: HttpStatus.TOO_MANY_REQUESTS, code: 'too_many_requests', title: 'Too many attempts', message: 'Too many sign-in attempts. Wait a while and try again.' };
    }
    const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown })?.statusCode;
    if (status === HttpStatus.SERVICE_UNAVAILABLE) {
      return { status, code: 'temporarily_unavailable', title: 'Temporarily unavailable', message: 'Signing in is temporarily unavailable. Try again in a moment.' };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, code: 'invalid_request', title: 'Sign-in request not valid', message: 'The request could not be processed. Go back to the application and start again.' };
    }
    this.logger.error(`unhandled ${(exception as Error)?.name ?? 'error'} (request ${RequestContext.current()?.requestId ?? '-'})`, (exception as Error)?.stack);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: 'server_error', title: 'Something went wrong', message: 'Signing in failed. Try again later.' };
  }
}
