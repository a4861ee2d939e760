import { createHash, randomBytes } from 'node:crypto';
import { AuditQueryService, AuditService, type AuditEvent } from '@authkit/audit';
import { UserAgent, type TestDatabase } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const SYSTEM = { type: 'system', id: 'test' } as const;

/** `rp-web`: registers a post-logout redirect URI. */
export const RP = {
  clientId: 'rp-web',
  redirectUri: 'https://rp.end-session.test/callback',
  postLogoutRedirectUri: 'https://rp.end-session.test/signed-out',
} as const;
/** `rp-other`: another client with its own post-logout URI. */
export const OTHER = {
  clientId: 'rp-other',
  redirectUri: 'https://other.end-session.test/callback',
  postLogoutRedirectUri: 'https://other.end-session.test/bye',
} as const;
/** `rp-fallback`: registers no post-logout URI, so the origin rule applies. */
export const FALLBACK = {
  clientId: 'rp-fallback',
  redirectUri: 'https://fallback.end-session.test:8443/auth/callback',
  originHome: 'https://fallback.end-session.test:8443/',
} as const;

/** A browser signed in at auth-server, and what it learnt there. */
export interface SignedInBrowser {
  readonly agent: UserAgent;
  readonly userId: string;
  readonly email: string;
  /** An ID token issued to `client` in this session. */
  readonly idToken: string;
  /** The `auth_session` cookie value at sign-in. */
  readonly cookie: string;
}

/** A running auth-server with the three clients and sign-in helpers. */
export interface EndSessionKit {
  readonly server: RunningAuthServer;
  /** Signs a new user in through the login page and gets an ID token for `client`. */
  signIn(client?: { clientId: string; redirectUri: string }): Promise<SignedInBrowser>;
  /** True when `agent`'s session still authorises `prompt=none` (OIDC Core s3.1.2.6: else `login_required`). */
  alive(agent: UserAgent): Promise<boolean>;
  /** GET `/oauth2/logout?<params>` without following redirects, with `cookie` as the `auth_session` cookie. */
  logout(params: Record<string, string>, cookie?: string, headers?: Record<string, string>): Promise<Response>;
  /** Audit events of `type` for a user, after flushing. */
  auditEvents(type: 'auth.logout' | 'session.ended', userId: string): Promise<AuditEvent[]>;
  close(): Promise<void>;
}

/** Starts auth-server on `database` with `rp-web`, `rp-other` and `rp-fallback` (confidential, skip_consent). */
export async function startEndSessionKit(database: TestDatabase): Promise<EndSessionKit> {
  const server = await startAuthServer(database);
  const clients = server.app.get(ClientService);
  const users = server.app.get(UserService);
  const secrets = new Map<string, string>();
  const base = { grant_types: ['authorization_code'] as ('authorization_code')[], scope: 'openid email', token_endpoint_auth_method: 'client_secret_basic' as const, skip_consent: true };
  for (const [client, extra] of [
    [RP, { post_logout_redirect_uris: [RP.postLogoutRedirectUri] }],
    [OTHER, { post_logout_redirect_uris: [OTHER.postLogoutRedirectUri] }],
    [FALLBACK, {}],
  ] as const) {
    const view = await clients.create({ ...base, ...extra, client_id: client.clientId, client_name: client.clientId, redirect_uris: [client.redirectUri] }, SYSTEM);
    secrets.set(client.clientId, view.client_secret!);
  }

  let count = 0;
  const authorizeUrl = (client: { clientId: string; redirectUri: string }, extra: Record<string, string> = {}) => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const query = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: client.redirectUri, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256', ...extra });
    return { url: `${server.url}/oauth2/authorize?${query}`, verifier };
  };

  return {
    server,
    async signIn(client = RP) {
      const email = `user${++count}-${randomBytes(3).toString('hex')}@example.com`;
      const password = randomBytes(12).toString('base64url');
      const { id: userId } = await users.create({ email, password }, SYSTEM);
      const agent = new UserAgent(server.url);
      const { url, verifier } = authorizeUrl(client);
      expect(await agent.open(url)).toBeUndefined();
      const callback = await agent.submit('Sign in', { Email: email, Password: password });
      const code = callback?.searchParams.get('code');
      if (!code) throw new Error(`sign-in did not return a code: ${agent.page.url} ${agent.page.status}`);
      const response = await fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${secrets.get(client.clientId)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
      });
      const tokens = (await response.json()) as { id_token?: string };
      if (!tokens.id_token) throw new Error(`no ID token: ${response.status}`);
      return { agent, userId, email, idToken: tokens.id_token, cookie: agent.cookie('auth_session')! };
    },
    async alive(agent) {
      const callback = await agent.open(authorizeUrl(RP, { prompt: 'none' }).url);
      if (!callback) throw new Error(`prompt=none showed a page: ${agent.page.status}`);
      if (callback.searchParams.get('code')) return true;
      expect(callback.searchParams.get('error')).toBe('login_required');
      return false;
    },
    logout(params, cookie, headers = {}) {
      return fetch(`${server.url}/oauth2/logout?${new URLSearchParams(params)}`, {
        redirect: 'manual',
        headers: { ...headers, ...(cookie ? { cookie: `auth_session=${cookie}` } : {}) },
      });
    },
    async auditEvents(type, userId) {
      await server.app.get(AuditService).flush();
      return (await server.app.get(AuditQueryService).find({ type, userId })).events;
    },
    close: () => server.close(),
  };
}
