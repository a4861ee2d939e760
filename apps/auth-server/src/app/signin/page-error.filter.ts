import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { TooManyRequestsError } from '@authkit/auth';
import { RequestContext } from '@authkit/observability';
import { pageHeaders } from './page-layout';
import { PageError } from './page-error';
import { errorPage } from './sign-in-pages';

/** The browser flow a page belongs to; only the wording differs. */
export type PageFlow = 'sign-in' | 'sign-out';

const WORDING: Record<PageFlow, { invalidTitle: string; invalid: string; unavailable: string; tooMany: string; failed: string }> = {
  'sign-in': {
    invalidTitle: 'Sign-in request not valid',
    invalid: 'The request could not be processed. Go back to the application and start again.',
    unavailable: 'Signing in is temporarily unavailable. Try again in a moment.',
    tooMany: 'Too many sign-in attempts. Wait a while and try again.',
    failed: 'Signing in failed. Try again later.',
  },
  'sign-out': {
    invalidTitle: 'Sign-out request not valid',
    invalid: 'The request could not be processed. Go back to the application and try again.',
    unavailable: 'Signing out is temporarily unavailable. Try again in a moment.',
    tooMany: 'Too many attempts. Wait a while and try again.',
    failed: 'Signing out failed. Try again later.',
  },
};

interface PageFailure {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly message: string;
}

/**
 * Renders failures of the browser-facing endpoints (authorization, sign-in and consent
 * forms, end session) as HTML pages with the page headers: a browser is on the other end,
 * not a client library. The stable code is on the page, the text is fixed, nothing of the
 * request is echoed and no redirect URI is linked. A 429 keeps its `Retry-After`. Anything
 * unexpected is a bare 500 page; details go to the log.
 *
 * @example @UseFilters(new PageErrorFilter('sign-in'))
 */
@Catch()
export class PageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(PageErrorFilter.name);

  constructor(private readonly flow: PageFlow) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const failure = this.describe(exception);
    if (exception instanceof TooManyRequestsError) reply.header('Retry-After', String(exception.retryAfterSeconds));
    reply.code(failure.status).headers(pageHeaders()).send(errorPage(failure.title, failure.message, failure.code));
  }

  private describe(exception: unknown): PageFailure {
    const words = WORDING[this.flow];
    if (exception instanceof PageError) {
      const status = exception.getStatus();
      return { status, code: exception.code, title: status === HttpStatus.FORBIDDEN ? 'Request refused' : words.invalidTitle, message: exception.userMessage };
    }
    if (exception instanceof TooManyRequestsError) {
      return { status: HttpStatus.TOO_MANY_REQUESTS, code: 'too_many_requests', title: 'Too many attempts', message: words.tooMany };
    }
    const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown })?.statusCode;
    if (status === HttpStatus.SERVICE_UNAVAILABLE) {
      return { status, code: 'temporarily_unavailable', title: 'Temporarily unavailable', message: words.unavailable };
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { status, code: 'invalid_request', title: words.invalidTitle, message: words.invalid };
    }
    this.logger.error(`unhandled ${(exception as Error)?.name ?? 'error'} (request ${RequestContext.current()?.requestId ?? '-'})`, (exception as Error)?.stack);
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, code: 'server_error', title: 'Something went wrong', message: words.failed };
  }
}
