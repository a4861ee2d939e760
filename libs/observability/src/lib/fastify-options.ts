import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { clientIpResolver, type TrustedProxies } from './client-ip';
import { RequestContext, requestIdOf } from './request-context';

const MAX_USER_AGENT = 512; // characters

/** `TRUST_PROXY` in Fastify's terms: nothing trusted, the first N hops, or listed addresses. */
function fastifyTrustProxy(trusted: TrustedProxies): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trusted === false) return false;
  if (typeof trusted === 'number') return (_address, hop) => hop < trusted;
  return [...trusted];
}

/**
 * Fastify adapter options shared by the apps: the request id of {@link requestIdOf}
 * (so Fastify, the logs and the audit log agree on it) and the proxy trust of `TRUST_PROXY`.
 */
export function fastifyServerOptions(trusted: TrustedProxies) {
  return {
    trustProxy: fastifyTrustProxy(trusted),
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    requestIdHeader: false as const,
  };
}

/**
 * Request plumbing as Fastify hooks (cheaper than Nest middleware, which Fastify runs
 * through an Express-compatibility layer):
 * - `X-Request-Id` echoed on every answer;
 * - the {@link RequestContext} (request id, client address from `TRUST_PROXY` only, user
 *   agent) around the handler, so log lines and audit events carry it;
 * - one access-log line per request: method, path (never the query string, which may carry
 *   codes or tokens), status and duration; 4xx at `warn`, 5xx at `error`.
 */
export function instrumentFastify(fastify: FastifyInstance, options: { readonly logger: Logger; readonly trustProxy: TrustedProxies }): void {
  const clientIp = clientIpResolver(options.trustProxy);
  const { logger } = options;
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // After body parsing, so that the handler (and Nest's guards and interceptors inside it)
  // runs within the context: stream events of the body would otherwise lose it.
  fastify.addHook('preHandler', (request, _reply, done) => {
    const userAgent = request.headers['user-agent'];
    RequestContext.run(
      {
        requestId: String(request.id),
        ip: clientIp(request.raw),
        userAgent: typeof userAgent === 'string' ? userAgent.slice(0, MAX_USER_AGENT) : undefined,
      },
      done,
    );
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          request_id: String(request.id),
          req: { method: request.method, path: request.url.split('?')[0] },
          res: { status },
          responseTime: Math.round(reply.elapsedTime),
        },
        'request completed',
      );
    }
    done();
  });
}
