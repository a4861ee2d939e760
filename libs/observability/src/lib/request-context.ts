import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What every log line and audit event of a request carries. */
export interface RequestContextValue {
  readonly requestId: string;
  readonly ip: string;
  readonly userAgent: string | undefined;
}

const storage = new AsyncLocalStorage<RequestContextValue>();

/** The context of the request being served, if any. */
export const RequestContext = {
  current: (): RequestContextValue | undefined => storage.getStore(),
  run: <T>(value: RequestContextValue, work: () => T): T => storage.run(value, work),
};

/** An incoming request id is kept only when it is short and plain; otherwise a new one is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id of `req`: the one already assigned, a well-formed `X-Request-Id` from
 * the caller, or a new UUID. It is remembered on `req.id`.
 */
export function requestIdOf(req: IncomingMessage & { id?: unknown }): string {
  if (typeof req.id === 'string') return req.id;
  const header = req.headers['x-request-id'];
  const id = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  req.id = id;
  return id;
}
