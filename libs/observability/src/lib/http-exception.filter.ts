import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { RequestContext } from './request-context';

/** The JSON error body every endpoint answers with: a stable code and a human description. */
export interface ErrorBody {
  readonly error: string;
  readonly error_description?: string;
  /** RFC 9470 s3: with `insufficient_user_authentication`, the sign-in age the resource accepts, in seconds. */
  readonly max_age?: number;
}

interface ReplyLike {
  status?(code: number): ReplyLike;
  code?(code: number): ReplyLike;
  header?(name: string, value: string): ReplyLike;
  setHeader?(name: string, value: string): void;
  send?(body: unknown): void;
  json?(body: unknown): void;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'request_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'temporarily_unavailable',
};

/**
 * Last line of defence for errors: a 4xx keeps its stable code and description, anything
 * else becomes a bare `server_error` with no message or stack (details go to the log,
 * tagged with the request id). An error that carries `retryAfterSeconds` sets `Retry-After`;
 * an `HttpException` that carries `responseHeaders` (e.g. `WWW-Authenticate`) sets those.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const { status, body } = this.toResponse(exception);
    const { retryAfterSeconds, responseHeaders } = (exception ?? {}) as { retryAfterSeconds?: unknown; responseHeaders?: unknown };
    if (typeof retryAfterSeconds === 'number') setHeader(reply, 'Retry-After', String(retryAfterSeconds));
    if (exception instanceof HttpException && typeof responseHeaders === 'object' && responseHeaders !== null) {
      for (const [name, value] of Object.entries(responseHeaders)) if (typeof value === 'string') setHeader(reply, name, value);
    }
    setHeader(reply, 'Cache-Control', 'no-store');
    if (reply.code && reply.send) {
      reply.code(status);
      reply.send(body);
    } else if (reply.status && reply.json) {
      reply.status(status);
      reply.json(body);
    }
  }

  private toResponse(exception: unknown): { status: number; body: ErrorBody } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500 || status === HttpStatus.SERVICE_UNAVAILABLE) {
        return { status, body: bodyOf(exception, status) };
      }
    }
    const status = statusOfFrameworkError(exception);
    if (status) return { status, body: { error: CODE_BY_STATUS[status] ?? 'invalid_request' } };
    this.logger.error(
      `unhandled ${(exception as Error)?.name ?? 'error'} (request ${RequestContext.current()?.requestId ?? '-'})`,
      (exception as Error)?.stack,
    );
    return { status: 500, body: { error: 'server_error' } };
  }
}

function bodyOf(exception: HttpException, status: number): ErrorBody {
  const response = exception.getResponse();
  if (typeof response === 'object' && response !== null && typeof (response as ErrorBody).error === 'string') {
    const { error, error_description, max_age } = response as ErrorBody;
    if (/^[a-z0-9_]{1,64}$/.test(error)) {
      // Only these members pass: nothing else an exception carries reaches the client.
      return { error, ...(error_description ? { error_description } : {}), ...(typeof max_age === 'number' && Number.isSafeInteger(max_age) && max_age >= 0 ? { max_age } : {}) };
    }
  }
  return { error: CODE_BY_STATUS[status] ?? (status < 500 ? 'invalid_request' : 'server_error') };
}

/** Body-parser and routing errors of Fastify/Express carry a 4xx `statusCode` of their own. */
function statusOfFrameworkError(exception: unknown): number | undefined {
  const status = (exception as { statusCode?: unknown; status?: unknown })?.statusCode ?? (exception as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function setHeader(reply: ReplyLike, name: string, value: string): void {
  if (reply.header) reply.header(name, value);
  else reply.setHeader?.(name, value);
}
