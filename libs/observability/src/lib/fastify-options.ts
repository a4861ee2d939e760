import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { TrustedProxies } from './client-ip';
import { requestIdOf } from './request-context';

/** `TRUST_PROXY` in Fastify's terms: nothing trusted, the first N hops, or listed addresses. */
function fastifyTrustProxy(trusted: TrustedProxies): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trusted === false) return false;
  if (typeof trusted === 'number') return (_address, hop) => hop < trusted;
  return [...trusted];
}

/**
 * Fastify adapter options shared by the apps: the request id of {@link requestIdOf}
 * (so Fastify, pino and the audit log agree on it) and the proxy trust of `TRUST_PROXY`.
 */
export function fastifyServerOptions(trusted: TrustedProxies) {
  return {
    trustProxy: fastifyTrustProxy(trusted),
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    requestIdHeader: false as const,
  };
}

/** Echoes the request id to the caller in `X-Request-Id`. */
export function exposeRequestId(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
