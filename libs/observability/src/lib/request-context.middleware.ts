import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import { clientIpResolver } from './client-ip';
import { OBSERVABILITY_OPTIONS, type ObservabilityOptions } from './observability-options';
import { RequestContext, requestIdOf } from './request-context';

const MAX_USER_AGENT = 512; // characters

/**
 * Runs the rest of the request inside a {@link RequestContext} holding its id, client
 * address and user agent, so that log lines and audit events carry them without every
 * caller passing them along. Works on Express and Fastify alike.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  private readonly clientIp: (req: IncomingMessage) => string;

  constructor(@Inject(OBSERVABILITY_OPTIONS) options: ObservabilityOptions) {
    this.clientIp = clientIpResolver(options.trustProxy);
  }

  use(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
    const userAgent = req.headers['user-agent'];
    RequestContext.run(
      {
        requestId: requestIdOf(req),
        ip: this.clientIp(req),
        userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT) : undefined,
      },
      next,
    );
  }
}
