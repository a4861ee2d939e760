import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { AUTH_MODULE_OPTIONS } from './auth-module-definition';
import type { AuthModuleOptions } from './auth-options.interface';
import { BearerTokenError } from './error-codes';

interface Reply {
  code?(status: number): Reply;
  status?(status: number): Reply;
  header?(name: string, value: string): Reply;
  setHeader?(name: string, value: string): void;
  send?(body: unknown): void;
  json?(body: unknown): void;
}

/** Renders {@link BearerTokenError} per RFC 6750 s3 on Express and Fastify: status, challenge, JSON body. */
@Catch(BearerTokenError)
export class BearerErrorFilter implements ExceptionFilter<BearerTokenError> {
  private readonly realm: string;

  constructor(@Inject(AUTH_MODULE_OPTIONS) options: AuthModuleOptions) {
    this.realm = options.realm ?? (typeof options.audience === 'string' ? options.audience : (options.audience[0] ?? 'api'));
  }

  catch(error: BearerTokenError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Reply>();
    const headers = { 'WWW-Authenticate': error.challenge(this.realm), 'Cache-Control': 'no-store' };
    for (const [name, value] of Object.entries(headers)) {
      if (reply.header) reply.header(name, value);
      else reply.setHeader?.(name, value);
    }
    if (reply.code && reply.send) {
      reply.code(error.getStatus());
      reply.send(error.getResponse());
    } else if (reply.status && reply.json) {
      reply.status(error.getStatus());
      reply.json(error.getResponse());
    }
  }
}
