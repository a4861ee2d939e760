import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { TotpService } from '@authkit/mfa';
import type { DatabaseLocation } from '@authkit/database';
import { UserAgent } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { SessionClock } from '../src/app/sessions/session-clock';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const SYSTEM = { type: 'system', id: 'test' } as const;
export const MFA_REDIRECT_URI = 'https://rp.mfa.test/callback';
export const MFA_CLIENT_ID = 'rp-mfa';
/** A second client allowed to call the account API (for tokens of one client presented by another). */
export const MFA_PEER_CLIENT_ID = 'rp-mfa-peer';

/** An account API answer. */
export interface AccountAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** A user with a confirmed authenticator. */
export interface EnrolledUser {
  readonly email: string;
  readonly password: string;
  readonly secret: string;
  readonly recoveryCodes: string[];
}

/** The front channel's end: the callback URL, or the page the agent stopped on. */
export interface AuthorizeResult {
  readonly callback: URL | undefined;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
}

/**
 * auth-server with one confidential relying party (`rp-mfa`, client_secret_basic,
 * skip_consent), a movable clock (sessions, challenges and TOTP codes read it) and helpers
 * to sign in through the pages, call the account API and enrol users.
 */
export interface SecondFactorKit {
  readonly server: RunningAuthServer;
  readonly config: client.Configuration;
  readonly secret: string;
  readonly totp: TotpService;
  /** A browser at its own client address (the server trusts one proxy hop), so per-address sign-in limits do not mix tests. */
  agent(): UserAgent;
  /** Moves the server's clock by `ms` (cumulative). */
  advance(ms: number): void;
  /** The server's current time, ms. */
  now(): number;
  createUser(email: string, roles?: string[]): Promise<{ email: string; password: string }>;
  /**
   * Starts an authorization in `agent` (with `prompt=login` unless `silentlyIfSignedIn`) and
   * signs in with the password when asked; stops at the next page or the callback.
   */
  authorize(agent: UserAgent, email: string, password: string, silentlyIfSignedIn?: boolean, scope?: string): Promise<AuthorizeResult>;
  /** Exchanges a callback for tokens. */
  exchange(result: AuthorizeResult): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers>;
  /** A password-only access token for the user (no second factor on the account yet). */
  accessToken(email: string, password: string): Promise<string>;
  account(path: string, token: string, fields?: Record<string, string>, authorization?: string): Promise<AccountAnswer>;
  /** Signs in, sets up and confirms an authenticator; the confirmation uses the current step's code. */
  enrol(email: string, password: string): Promise<EnrolledUser>;
  /** The code for the step `steps` away from the server's current one. */
  code(secret: string, steps?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startSecondFactorKit(database: DatabaseLocation, env: NodeJS.ProcessEnv = {}): Promise<SecondFactorKit> {
  const server = await startAuthServer(database, { TRUST_PROXY: '1', AUTH_ACCOUNT_CLIENTS: `${MFA_CLIENT_ID},${MFA_PEER_CLIENT_ID}`, ...env });
  const clock = server.app.get(SessionClock);
  let offsetMs = 0;
  const realNow = clock.now.bind(clock);
  clock.now = () => realNow() + offsetMs;
  const view = await server.app.get(ClientService).create(
    {
      client_id: MFA_CLIENT_ID,
      client_name: 'MFA Relying Party',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [MFA_REDIRECT_URI],
      scope: 'openid profile email offline_access demo:read',
      token_endpoint_auth_method: 'client_secret_basic',
      skip_consent: true,
    },
    SYSTEM,
  );
  const secret = view.client_secret!;
  const basic = `Basic ${Buffer.from(`${MFA_CLIENT_ID}:${secret}`).toString('base64')}`;
  const config = await client.discovery(new URL(server.url), MFA_CLIENT_ID, undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
  const totp = new TotpService({ issuer: 'test', now: () => clock.now() });

  let agents = 0;
  const kit: SecondFactorKit = {
    server,
    config,
    secret,
    totp,
    agent: () => new UserAgent(server.url, { 'x-forwarded-for': `203.0.113.${(++agents % 250) + 1}` }),
    advance: (ms) => {
      offsetMs += ms;
    },
    now: () => clock.now(),
    async createUser(email, roles = []) {
      const password = randomBytes(12).toString('base64url');
      await server.app.get(UserService).create({ email, password, roles }, SYSTEM);
      return { email, password };
    },
    async authorize(agent, email, password, silentlyIfSignedIn = false, scope = 'openid email offline_access') {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: MFA_REDIRECT_URI,
        scope,
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(silentlyIfSignedIn ? {} : { prompt: 'login' }),
      });
      let callback = await agent.open(url.toString());
      if (!callback && agent.page.html.includes('Password')) callback = await agent.submit('Sign in', { Email: email, Password: password });
      return { callback, verifier, state, nonce };
    },
    exchange(result) {
      if (!result.callback) throw new Error('no callback to exchange');
      return client.authorizationCodeGrant(config, result.callback, { pkceCodeVerifier: result.verifier, expectedState: result.state, expectedNonce: result.nonce });
    },
    async accessToken(email, password) {
      const result = await kit.authorize(kit.agent(), email, password);
      return (await kit.exchange(result)).access_token;
    },
    async account(path, token, fields = {}, authorization = basic) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, ...fields }),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async enrol(email, password) {
      const token = await kit.accessToken(email, password);
      const started = await kit.account('/account/mfa/totp', token);
      if (started.status !== 200) throw new Error(`enrolment start: ${started.status} ${JSON.stringify(started.body)}`);
      const totpSecret = started.body['secret'] as string;
      const confirmed = await kit.account('/account/mfa/totp/confirm', token, { code: await kit.code(totpSecret) });
      if (confirmed.status !== 200) throw new Error(`enrolment confirm: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
      return { email, password, secret: totpSecret, recoveryCodes: confirmed.body['recovery_codes'] as string[] };
    },
    code(totpSecret, steps = 0) {
      return totp.generate(totpSecret, clock.now() + steps * 30_000);
    },
    close: () => server.close(),
  };
  return kit;
}

/** The href of the link labelled `text` on the agent's page, absolute. */
export function linkHref(agent: UserAgent, text: string): string {
  const match = new RegExp(`<a href="([^"]+)">${text}</a>`).exec(agent.page.html);
  if (!match?.[1]) throw new Error(`no link "${text}" on ${agent.page.url}`);
  return new URL(match[1].replace(/&#38;/g, '&'), agent.page.url).toString();
}
