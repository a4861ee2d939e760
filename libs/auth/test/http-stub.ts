import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an {@link HttpStub} received. */
export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A reply: a status and a JSON body. */
export interface StubReply {
  readonly status?: number;
  readonly json?: unknown;
}

/** A throwaway HTTP server on 127.0.0.1 that records every request it gets. */
export interface HttpStub {
  readonly url: string;
  readonly requests: StubRequest[];
  /** How many requests asked for `path`. */
  count(path: string): number;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 answering each request with `handler`'s reply (404 when
 * it returns undefined), to play an authorization server or an attacker's key host.
 */
export async function startStub(handler: (request: StubRequest, url: string) => StubReply | undefined): Promise<HttpStub> {
  const requests: StubRequest[] = [];
  let url = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      const reply = handler(request, url) ?? { status: 404, json: { error: 'not_found' } };
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(reply.json ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    count: (path) => requests.filter((r) => r.path === path).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A URL on 127.0.0.1 where nothing listens (a port just released), for "server down" cases. */
export async function deadUrl(): Promise<string> {
  const stub = await startStub(() => undefined);
  await stub.close();
  return stub.url;
}
