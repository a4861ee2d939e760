import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { describeEachDatabase, UserAgent } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

// The whole OpenID Connect flow with openid-client as the relying party and the real
// sign-in pages driven over HTTP (the browser variant is apps/e2e): discovery, an
// authorization URL with PKCE and nonce, sign-in and consent, code exchange with ID token
// validation, userinfo, refresh with rotation, revocation.

const AUDIENCE = 'https://api.oidc-flow.test';
const REDIRECT_URI = 'https://rp.oidc-flow.test/callback';
const SYSTEM = { type: 'system', id: 'test' } as const;

describeEachDatabase('OpenID Connect flow through the sign-in pages', (database) => {
  let server: RunningAuthServer;
  let config: client.Configuration;
  let secret: string;
  const password = randomBytes(12).toString('base64url');
  const email = 'grace@example.com';

  beforeAll(async () => {
    server = await startAuthServer(database(), { AUTH_DEFAULT_AUDIENCE: AUDIENCE });
    const view = await server.app.get(ClientService).create(
      {
        client_id: 'rp-web',
        client_name: 'Relying Party',
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [REDIRECT_URI],
        scope: 'openid profile email offline_access demo:read',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      SYSTEM,
    );
    await server.app.get(UserService).create({ email, password, roles: ['reader'] }, SYSTEM);
    secret = view.client_secret!;
    config = await client.discovery(new URL(server.url), 'rp-web', undefined, client.ClientSecretBasic(secret), {
      execute: [client.allowInsecureRequests],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Runs the front channel: authorization URL, login page, consent page; returns the callback URL. */
  async function authorize(agent: UserAgent, scope: string, extra: Record<string, string> = {}) {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...extra,
    });
    let callback = await agent.open(url.toString());
    if (!callback && agent.page.html.includes('Password')) callback = await agent.submit('Sign in', { Email: email, Password: password });
    if (!callback && agent.page.html.includes('Allow')) callback = await agent.submit('Allow');
    if (!callback) throw new Error(`no redirect back to the client; last page ${agent.page.url} (${agent.page.status})`);
    return { callback, verifier, state, nonce };
  }

  it('signs in through the pages, exchanges the code, validates the ID token, reads userinfo, refreshes and revokes', async () => {
    const agent = new UserAgent(server.url);
    const { callback, verifier, state, nonce } = await authorize(agent, 'openid email offline_access demo:read');
    expect(callback.searchParams.get('iss')).toBe(server.config.issuer); // RFC 9207

    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    const idClaims = tokens.claims()!;
    expect(idClaims).toMatchObject({ iss: server.config.issuer, aud: 'rp-web', nonce, amr: ['pwd'] });
    expect(typeof idClaims.auth_time).toBe('number');
    expect(typeof idClaims['at_hash']).toBe('string');

    const keys = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, keys, { issuer: server.config.issuer, audience: AUDIENCE, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: idClaims.sub, client_id: 'rp-web', amr: ['pwd'], roles: ['reader'], auth_time: idClaims.auth_time });
    expect(protectedHeader.alg).toBe('RS256');

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
    expect(userinfo).toMatchObject({ sub: idClaims.sub, email });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // RFC 9700 s4.14.2: the rotated-out token is dead.
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    await client.tokenRevocation(config, refreshed.refresh_token!);
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await client.tokenIntrospection(config, refreshed.refresh_token!)).toMatchObject({ active: false });
  });

  it('signs in once: a second authorization in the same browser needs no page', async () => {
    const agent = new UserAgent(server.url);
    await authorize(agent, 'openid demo:read');
    const second = await authorize(agent, 'openid demo:read', { prompt: 'none' });
    expect(second.callback.searchParams.get('code')).toBeTruthy();
    expect(second.callback.searchParams.get('state')).toBe(second.state);
  });

  it('lets a client with one registered redirect URI omit it in both requests (RFC 6749 s3.1.2.3, s4.1.3)', async () => {
    const agent = new UserAgent(server.url);
    await authorize(agent, 'openid'); // signed in, consent remembered
    const verifier = client.randomPKCECodeVerifier();
    const url = new URL(`${server.url}/oauth2/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'rp-web',
      scope: 'openid',
      state: 's-1',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const callback = await agent.open(url.toString());
    expect(callback?.origin + (callback?.pathname ?? '')).toBe(REDIRECT_URI);
    const exchange = (extra: Record<string, string>) =>
      fetch(`${server.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`rp-web:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback!.searchParams.get('code')!, code_verifier: verifier, ...extra }),
      });
    expect((await exchange({ redirect_uri: 'https://rp.oidc-flow.test/other' })).status).toBe(400);
    expect((await exchange({})).status).toBe(200);
  });

  it('never writes the password, a code or a token to the log', async () => {
    const agent = new UserAgent(server.url);
    const { callback, verifier, state, nonce } = await authorize(agent, 'openid offline_access');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    await new Promise((r) => setTimeout(r, 50)); // the audit buffer flushes every 5 ms in tests
    const logged = server.logs.text();
    for (const secret of [password, callback.searchParams.get('code')!, tokens.access_token, tokens.refresh_token!, tokens.id_token!, agent.cookie('auth_session')!]) {
      expect(logged).not.toContain(secret);
    }
  });
});
