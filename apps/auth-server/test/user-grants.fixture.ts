import { createHash, randomBytes } from 'node:crypto';
import type { AuditEvent } from '@authkit/audit';
import { AuditQueryService, AuditService } from '@authkit/audit';
import { AuthorizationCodeService } from '../src/app/authorize/authorization-code.service';
import type { ClientMetadataInput } from '../src/app/clients/client-metadata.schema';
import { ClientService } from '../src/app/clients/client.service';
import { UserService } from '../src/app/users/user.service';
import type { RunningAuthServer } from './auth-server.fixture';

/** A code issued in-process, as the authorization endpoint would after sign-in and consent. */
export interface IssuedCode {
  readonly code: string;
  readonly verifier: string;
  readonly challenge: string;
  readonly redirectUri: string;
  readonly nonce: string | undefined;
}

/** What a code is issued for; the defaults are a password sign-in a moment ago. */
export interface CodeOptions {
  readonly clientId: string;
  readonly redirectUri: string;
  /** False: the authorization request omitted redirect_uri (the client registered one). */
  readonly redirectUriSent?: boolean;
  readonly userId: string;
  readonly scope: string;
  readonly nonce?: string;
  readonly amr?: readonly string[];
  readonly authTime?: number;
}

/** Issues a code through `AuthorizationCodeService.issue` with a fresh S256 challenge (RFC 7636 s4.1, s4.2). */
export async function issueCode(server: RunningAuthServer, options: CodeOptions): Promise<IssuedCode> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const code = await server.app.get(AuthorizationCodeService).issue(
    {
      clientId: options.clientId,
      redirectUri: options.redirectUri,
      redirectUriSent: options.redirectUriSent ?? true,
      codeChallenge: challenge,
      userId: options.userId,
      scope: options.scope.split(' '),
      nonce: options.nonce,
      authTime: options.authTime ?? Math.floor(Date.now() / 1000), // signed in now, after the user was created
      amr: options.amr ?? ['pwd'],
    },
    server.config.lifetimes.authorizationCode,
  );
  return { code, verifier, challenge, redirectUri: options.redirectUri, nonce: options.nonce };
}

/** Registers a client through the service the admin API uses; returns its secret, if any. */
export async function registerClient(server: RunningAuthServer, metadata: ClientMetadataInput): Promise<string | undefined> {
  const view = await server.app.get(ClientService).create(metadata, { type: 'system', id: 'test' });
  return view.client_secret;
}

/** Creates a user; returns its id. */
export async function createUser(server: RunningAuthServer, email: string, roles: string[] = []): Promise<string> {
  const view = await server.app.get(UserService).create(
    { email, password: randomBytes(12).toString('base64url'), roles },
    { type: 'system', id: 'test' },
  );
  return view.id;
}

/** An HTTP answer with its parsed JSON body. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** POSTs a form to `path`, with optional Basic credentials (RFC 6749 s2.3.1). */
export async function postForm(
  server: RunningAuthServer,
  path: string,
  params: Record<string, string | undefined>,
  basic?: { id: string; secret: string },
  extraHeaders: Record<string, string> = {},
): Promise<Answer> {
  const form = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  const headers: Record<string, string> = { ...extraHeaders, 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: form });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Every audit event recorded so far, after flushing the buffer. */
export async function allAuditEvents(server: RunningAuthServer): Promise<AuditEvent[]> {
  await server.app.get(AuditService).flush();
  const query = server.app.get(AuditQueryService);
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await query.find({ limit: 500, ...(cursor ? { cursor } : {}) });
    events.push(...page.events);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return events;
}
