import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { describeEachDatabase } from '@authkit/testing';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';
import { createUser, issueCode, registerClient, type IssuedCode } from './user-grants.fixture';

// The user grants seen by a relying party: openid-client drives the code exchange, refresh,
// revocation, introspection and UserInfo through discovery only; jose is the resource server.
// Codes are issued in-process (the authorization endpoint and sign-in pages are tested elsewhere).

const AUDIENCE = 'https://api.user-grants.test/'; // AUTH_DEFAULT_AUDIENCE of this suite
const REDIRECT = 'http://127.0.0.1:8123/callback';
const NATIVE_REDIRECT = 'http://127.0.0.1/callback';
const USER_SCOPES = 'openid profile email offline_access demo:read';
const ACCESS_TOKEN_TTL_S = 600; // the default ACCESS_TOKEN_TTL
const CLIENT_ACCESS_TTL_S = 120; // `rp-ttl`'s own access_token_ttl
const CLIENT_REFRESH_TTL_S = 300; // `rp-ttl`'s own refresh_token_ttl

/** Status and OAuth error code of a failed openid-client call (RFC 6749 s5.2 body). */
async function failure(call: Promise<unknown>): Promise<{ status: number; error: string | undefined }> {
  const error = await call.then(
    () => {
      throw new Error('the request succeeded');
    },
    (e: unknown) => e,
  );
  if (error instanceof client.ResponseBodyError) return { status: error.status, error: error.error };
  throw error;
}

describeEachDatabase('user grants with openid-client as the relying party', (database) => {
  let server: RunningAuthServer;
  let issuer: URL;
  let aliceId: string;
  const secrets: Record<string, string> = {};

  const party = (clientId: string, auth: client.ClientAuth) =>
    client.discovery(issuer, clientId, undefined, auth, { execute: [client.allowInsecureRequests] });
  const basicParty = () => party('rp-basic', client.ClientSecretBasic(secrets['rp-basic']!));
  const postParty = () => party('rp-post', client.ClientSecretPost(secrets['rp-post']!));
  const nativeParty = () => party('rp-native', client.None());
  const serverKeys = () => createRemoteJWKSet(new URL(`${issuer.origin}/.well-known/jwks.json`));

  /** The redirect back from the authorization endpoint, with `iss` (RFC 9207 s2). */
  const callback = (issued: IssuedCode) => {
    const url = new URL(issued.redirectUri);
    url.searchParams.set('code', issued.code);
    url.searchParams.set('iss', server.url);
    return url;
  };

  /** Signs alice in for `clientId` and exchanges the code, as the relying party would. */
  async function signIn(config: client.Configuration, clientId: string, scope: string, redirectUri = REDIRECT) {
    const openid = scope.split(' ').includes('openid');
    const nonce = openid ? client.randomNonce() : undefined;
    const issued = await issueCode(server, { clientId, redirectUri, userId: aliceId, scope, ...(nonce ? { nonce } : {}), amr: ['pwd', 'otp'] });
    const tokens = await client.authorizationCodeGrant(config, callback(issued), {
      pkceCodeVerifier: issued.verifier,
      ...(nonce ? { expectedNonce: nonce, idTokenExpected: true } : {}),
    });
    return { tokens, nonce };
  }

  beforeAll(async () => {
    server = await startAuthServer(database(), { AUTH_DEFAULT_AUDIENCE: AUDIENCE });
    issuer = new URL(server.config.issuer);
    const userGrants = { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [REDIRECT], scope: USER_SCOPES };
    secrets['rp-basic'] = (await registerClient(server, { ...userGrants, client_id: 'rp-basic' }))!;
    secrets['rp-post'] = (await registerClient(server, { ...userGrants, client_id: 'rp-post', token_endpoint_auth_method: 'client_secret_post' }))!;
    secrets['rp-ttl'] = (await registerClient(server, {
      ...userGrants,
      client_id: 'rp-ttl',
      access_token_ttl: CLIENT_ACCESS_TTL_S,
      refresh_token_ttl: CLIENT_REFRESH_TTL_S,
    }))!;
    secrets['rp-code-only'] = (await registerClient(server, { ...userGrants, client_id: 'rp-code-only', grant_types: ['authorization_code'] }))!;
    await registerClient(server, {
      client_id: 'rp-native',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [NATIVE_REDIRECT],
      scope: 'openid offline_access',
      token_endpoint_auth_method: 'none',
    });
    aliceId = await createUser(server, 'alice@user-grants.test', ['admin', 'auditor']);
  });
  afterAll(() => server?.close());

  describe('discovery (RFC 8414, OIDC Discovery 1.0)', () => {
    it('publishes the user grants, OIDC and RFC 9207 metadata', async () => {
      const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({
        userinfo_endpoint: `${server.url}/oauth2/userinfo`,
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        code_challenge_methods_supported: ['S256'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        authorization_response_iss_parameter_supported: true,
      });
      expect([...(metadata['grant_types_supported'] as string[])].sort()).toEqual(['authorization_code', 'client_credentials', 'refresh_token']);
      expect(metadata['scopes_supported']).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access']));
      expect(metadata['claims_supported']).toEqual(expect.arrayContaining(['sub', 'auth_time', 'amr', 'nonce', 'email', 'email_verified']));
      const oauth = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      expect(oauth).toEqual(metadata);
    });
  });

  describe('authorization code exchange (RFC 6749 s4.1.3, RFC 7636 s4.5)', () => {
    it.each([
      ['client_secret_basic', 'rp-basic', () => basicParty()],
      ['client_secret_post', 'rp-post', () => postParty()],
    ] as const)('redeems a code for a %s client: ID token, access token and refresh token', async (_method, clientId, makeParty) => {
      const config = await makeParty();
      const { tokens, nonce } = await signIn(config, clientId, USER_SCOPES);
      expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: ACCESS_TOKEN_TTL_S, scope: USER_SCOPES });
      expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

      // openid-client validated iss, aud, exp, iat and nonce; check the rest ourselves.
      const idClaims = tokens.claims()!;
      expect(idClaims).toMatchObject({ iss: server.url, sub: aliceId, aud: clientId, azp: clientId, nonce, amr: ['pwd', 'otp'] });
      expect(idClaims).not.toHaveProperty('email'); // identity claims only: email is UserInfo's
      const idToken = await jwtVerify(tokens.id_token!, serverKeys(), { issuer: server.url, audience: clientId, typ: 'JWT' });
      const digest = createHash('sha256').update(tokens.access_token, 'ascii').digest();
      expect(idToken.payload['at_hash']).toBe(digest.subarray(0, 16).toString('base64url')); // OIDC Core s3.1.3.6
      expect(idToken.protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });

      const access = await jwtVerify(tokens.access_token, serverKeys(), { issuer: server.url, audience: AUDIENCE, typ: 'at+jwt' });
      expect(access.payload).toMatchObject({
        sub: aliceId,
        client_id: clientId,
        scope: USER_SCOPES,
        auth_time: idClaims.auth_time,
        amr: ['pwd', 'otp'],
        roles: ['admin', 'auditor'],
      });
      expect(access.payload.exp! - access.payload.iat!).toBe(ACCESS_TOKEN_TTL_S);
      expect(decodeProtectedHeader(tokens.access_token).kid).toBe(idToken.protectedHeader.kid);
    });

    it('redeems a code for a public client (auth method none) with PKCE alone', async () => {
      const { tokens } = await signIn(await nativeParty(), 'rp-native', 'openid offline_access', NATIVE_REDIRECT);
      expect(tokens.claims()).toMatchObject({ sub: aliceId, aud: 'rp-native' });
      expect(tokens.refresh_token).toBeDefined();
      const refreshed = await client.refreshTokenGrant(await nativeParty(), tokens.refresh_token!);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    });

    it('issues no refresh token without offline_access (OIDC Core s11)', async () => {
      const { tokens } = await signIn(await basicParty(), 'rp-basic', 'openid email');
      expect(tokens.refresh_token).toBeUndefined();
      expect(tokens.id_token).toBeDefined();
    });

    it('issues no refresh token to a client not registered for refresh_token, even with offline_access', async () => {
      const { tokens } = await signIn(await party('rp-code-only', client.ClientSecretBasic(secrets['rp-code-only']!)), 'rp-code-only', USER_SCOPES);
      expect(tokens.refresh_token).toBeUndefined();
      expect(tokens.scope).toBe(USER_SCOPES);
    });

    it('issues no ID token without openid (a plain OAuth client)', async () => {
      const { tokens } = await signIn(await basicParty(), 'rp-basic', 'demo:read');
      expect(tokens.id_token).toBeUndefined();
      expect((await jwtVerify(tokens.access_token, serverKeys(), { typ: 'at+jwt' })).payload).toMatchObject({ sub: aliceId, scope: 'demo:read' });
    });

    it("honours the client's own access_token_ttl and refresh_token_ttl", async () => {
      const config = await party('rp-ttl', client.ClientSecretBasic(secrets['rp-ttl']!));
      const { tokens } = await signIn(config, 'rp-ttl', USER_SCOPES);
      expect(tokens.expires_in).toBe(CLIENT_ACCESS_TTL_S);
      const access = (await jwtVerify(tokens.access_token, serverKeys())).payload;
      expect(access.exp! - access.iat!).toBe(CLIENT_ACCESS_TTL_S);
      const idClaims = tokens.claims()!;
      expect(idClaims.exp - idClaims.iat).toBe(CLIENT_ACCESS_TTL_S);
      const refresh = await client.tokenIntrospection(config, tokens.refresh_token!);
      expect(refresh.exp! - refresh.iat!).toBeGreaterThanOrEqual(CLIENT_REFRESH_TTL_S - 2);
      expect(refresh.exp! - refresh.iat!).toBeLessThanOrEqual(CLIENT_REFRESH_TTL_S + 2);
    });
  });

  describe('UserInfo (OIDC Core s5.3)', () => {
    it.each([
      ['openid', { sub: true, email: false, profile: false }],
      ['openid email', { sub: true, email: true, profile: false }],
      ['openid profile', { sub: true, email: false, profile: true }],
    ] as const)('returns the claims of scope "%s" only', async (scope, expected) => {
      const config = await basicParty();
      const { tokens } = await signIn(config, 'rp-basic', scope);
      const info = await client.fetchUserInfo(config, tokens.access_token, aliceId);
      expect(info.sub).toBe(aliceId);
      expect('email' in info).toBe(expected.email);
      if (expected.email) expect(info).toMatchObject({ email: 'alice@user-grants.test', email_verified: false });
      expect('updated_at' in info).toBe(expected.profile);
      if (expected.profile) expect(info).toMatchObject({ preferred_username: 'alice@user-grants.test', updated_at: expect.any(Number) });
    });

    it('answers GET and POST alike, never cached', async () => {
      const { tokens } = await signIn(await basicParty(), 'rp-basic', 'openid email');
      const headers = { authorization: `Bearer ${tokens.access_token}` };
      const viaGet = await fetch(`${server.url}/oauth2/userinfo`, { headers });
      const viaPost = await fetch(`${server.url}/oauth2/userinfo`, { method: 'POST', headers });
      expect(viaGet.status).toBe(200);
      expect(viaGet.headers.get('cache-control')).toBe('no-store');
      expect(await viaPost.json()).toEqual(await viaGet.json());
    });
  });

  describe('refresh (RFC 6749 s6, RFC 9700 s4.14.2)', () => {
    it('rotates: new access, refresh and ID tokens; the old refresh token is dead', async () => {
      const config = await basicParty();
      const { tokens } = await signIn(config, 'rp-basic', USER_SCOPES);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect(refreshed.access_token).not.toBe(tokens.access_token);
      expect(refreshed.scope).toBe(USER_SCOPES);
      // OIDC Core s12.2: same sub and auth_time, no nonce.
      const before = tokens.claims()!;
      const after = refreshed.claims()!;
      expect(after).toMatchObject({ sub: before.sub, auth_time: before.auth_time, aud: 'rp-basic' });
      expect(after).not.toHaveProperty('nonce');
      const access = (await jwtVerify(refreshed.access_token, serverKeys(), { typ: 'at+jwt' })).payload;
      expect(access).toMatchObject({ sub: aliceId, auth_time: before.auth_time, amr: ['pwd', 'otp'], roles: ['admin', 'auditor'] });

      expect(await failure(client.refreshTokenGrant(config, tokens.refresh_token!))).toEqual({ status: 400, error: 'invalid_grant' });
      expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false });
    });

    it('narrows the scope on request and refuses a wider one (invalid_scope)', async () => {
      const config = await postParty();
      const { tokens } = await signIn(config, 'rp-post', 'openid email offline_access');
      expect(await failure(client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid email offline_access demo:read' }))).toEqual({
        status: 400,
        error: 'invalid_scope',
      });
      const narrowed = await client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid' });
      expect(narrowed.scope).toBe('openid');
      expect((await jwtVerify(narrowed.access_token, serverKeys())).payload['scope']).toBe('openid');
      expect(await client.fetchUserInfo(config, narrowed.access_token, aliceId)).not.toHaveProperty('email');
      // RFC 6749 s6: the new refresh token keeps the original scope.
      expect(await client.tokenIntrospection(config, narrowed.refresh_token!)).toMatchObject({ active: true, scope: 'openid email offline_access' });
    });
  });

  describe('revocation and introspection of refresh tokens (RFC 7009, RFC 7662)', () => {
    it('introspects a live refresh token for its own client', async () => {
      const config = await basicParty();
      const { tokens } = await signIn(config, 'rp-basic', USER_SCOPES);
      const now = Date.now() / 1000;
      const answer = await client.tokenIntrospection(config, tokens.refresh_token!);
      expect(answer).toMatchObject({ active: true, token_type: 'refresh_token', client_id: 'rp-basic', sub: aliceId, scope: USER_SCOPES });
      expect(Math.abs(answer.iat! - now)).toBeLessThan(30);
      expect(answer.exp! - answer.iat!).toBe(server.config.lifetimes.refreshToken);
      // The hint only orders the lookups.
      expect(await client.tokenIntrospection(config, tokens.refresh_token!, { token_type_hint: 'access_token' })).toMatchObject({ active: true });
      expect(await client.tokenIntrospection(config, tokens.access_token, { token_type_hint: 'refresh_token' })).toMatchObject({ active: true, token_type: 'Bearer' });
    });

    it('revokes a refresh token with its family: refresh then fails and introspection says inactive', async () => {
      const config = await basicParty();
      const { tokens } = await signIn(config, 'rp-basic', USER_SCOPES);
      const rotated = await client.refreshTokenGrant(config, tokens.refresh_token!);
      await client.tokenRevocation(config, rotated.refresh_token!, { token_type_hint: 'refresh_token' });
      expect(await client.tokenIntrospection(config, rotated.refresh_token!)).toEqual({ active: false });
      expect(await failure(client.refreshTokenGrant(config, rotated.refresh_token!))).toEqual({ status: 400, error: 'invalid_grant' });
      await client.tokenRevocation(config, rotated.refresh_token!); // again: still 200 (RFC 7009 s2.2)
    });

    it("keeps a client's refresh tokens out of another client's reach", async () => {
      const { tokens } = await signIn(await basicParty(), 'rp-basic', USER_SCOPES);
      const other = await postParty();
      expect(await client.tokenIntrospection(other, tokens.refresh_token!)).toEqual({ active: false });
      await client.tokenRevocation(other, tokens.refresh_token!); // 200, and nothing happens
      expect(await client.tokenIntrospection(await basicParty(), tokens.refresh_token!)).toMatchObject({ active: true });
    });
  });
});
