import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as client from 'openid-client';
import { describeEachDatabase } from '@authkit/testing';
import type { ClientMetadataInput } from '../src/app/clients/client-metadata.schema';
import { ClientService } from '../src/app/clients/client.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

// openid-client is the relying party and jose the resource server: the server is
// exercised only through discovery and the protocol endpoints, as a real client sees it.

const AUDIENCE = 'https://api.flows.test/v1'; // AUTH_DEFAULT_AUDIENCE of this suite
const RESOURCE = 'https://reports.flows.test/'; // registered for `rp-basic` only (RFC 8707)
const ACCESS_TOKEN_TTL_S = 600; // the default ACCESS_TOKEN_TTL
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** A client key pair as a private_key_jwt client holds it; `jwk` is what it registers. */
async function clientKeyPair(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** Status and OAuth error code of a failed openid-client call (RFC 6749 s5.2 body). */
async function failure(call: Promise<unknown>): Promise<{ status: number; error: string | undefined }> {
  const error = await call.then(
    () => {
      throw new Error('the request succeeded');
    },
    (e: unknown) => e,
  );
  if (error instanceof client.ResponseBodyError) return { status: error.status, error: error.error };
  if (error instanceof client.WWWAuthenticateChallengeError) {
    // invalid_client comes with a WWW-Authenticate challenge (RFC 6749 s5.2); the body still names the code.
    const body = (await error.response.json()) as { error?: string };
    return { status: error.status, error: body.error };
  }
  throw error;
}

describeEachDatabase('OAuth flows with openid-client as the relying party', (database) => {
  let server: RunningAuthServer;
  let issuer: URL;
  let keyServer: Server;
  let keyServerHits = 0;
  const secrets: Record<string, string> = {};
  const keys: Record<string, { privateKey: CryptoKey; jwk: JWK }> = {};

  const register = async (metadata: ClientMetadataInput) => {
    const view = await server.app.get(ClientService).create(metadata, { type: 'system', id: 'test' });
    if (view.client_secret) secrets[view.client_id] = view.client_secret;
  };
  const relyingParty = (clientId: string, auth: client.ClientAuth) =>
    client.discovery(issuer, clientId, undefined, auth, { execute: [client.allowInsecureRequests] });
  const basicParty = () => relyingParty('rp-basic', client.ClientSecretBasic(secrets['rp-basic']!));
  const postParty = () => relyingParty('rp-post', client.ClientSecretPost(secrets['rp-post']!));
  const resourceServerKeys = () => createRemoteJWKSet(new URL(`${issuer.origin}/.well-known/jwks.json`));

  beforeAll(async () => {
    server = await startAuthServer(database(), { AUTH_DEFAULT_AUDIENCE: AUDIENCE });
    issuer = new URL(server.config.issuer);
    keys['rp-jwt'] = await clientKeyPair('rp-jwt-key-1');
    keys['rp-jwks-uri'] = await clientKeyPair('rp-jwks-uri-key-1');
    keyServer = createServer((_request, response) => {
      keyServerHits += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [keys['rp-jwks-uri']!.jwk] }));
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    const keyServerPort = (keyServer.address() as AddressInfo).port;
    const credentials = { grant_types: ['client_credentials'] };
    await register({ ...credentials, client_id: 'rp-basic', scope: 'demo:read demo:write', resources: [RESOURCE] });
    await register({ ...credentials, client_id: 'rp-post', scope: 'demo:read', token_endpoint_auth_method: 'client_secret_post' });
    await register({ ...credentials, client_id: 'rp-jwt', scope: 'demo:read', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [keys['rp-jwt'].jwk] } });
    await register({
      ...credentials,
      client_id: 'rp-jwks-uri',
      scope: 'demo:read',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: `http://127.0.0.1:${keyServerPort}/jwks.json`,
    });
  });
  afterAll(async () => {
    await server?.close();
    await new Promise((resolve) => (keyServer ? keyServer.close(resolve) : resolve(undefined)));
  });

  describe('discovery', () => {
    it('publishes the same metadata at both well-known addresses, naming the exact issuer (RFC 8414 s3)', async () => {
      const [oauth, oidc] = await Promise.all(
        ['oauth-authorization-server', 'openid-configuration'].map(async (name) => {
          const response = await fetch(`${server.url}/.well-known/${name}`);
          expect(response.status).toBe(200);
          return (await response.json()) as Record<string, unknown>;
        }),
      );
      expect(oidc).toEqual(oauth);
      expect(oauth!['issuer']).toBe(server.url);
      for (const member of [
        'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint',
        'userinfo_endpoint', 'grant_types_supported', 'token_endpoint_auth_methods_supported', 'scopes_supported',
      ]) {
        expect(oauth).toHaveProperty(member);
      }
      expect(oauth).toMatchObject({
        token_endpoint: `${server.url}/oauth2/token`,
        revocation_endpoint: `${server.url}/oauth2/revoke`,
        introspection_endpoint: `${server.url}/oauth2/introspect`,
        jwks_uri: `${server.url}/.well-known/jwks.json`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
      expect(oauth!['grant_types_supported']).toContain('client_credentials');
      expect(oauth!['token_endpoint_auth_methods_supported']).toEqual(
        expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
      );
    });

    it('is accepted by openid-client through either well-known document', async () => {
      const [oidc, oauth] = await Promise.all(
        (['oidc', 'oauth2'] as const).map((algorithm) =>
          client.discovery(issuer, 'rp-basic', undefined, client.ClientSecretBasic(secrets['rp-basic']!), {
            algorithm,
            execute: [client.allowInsecureRequests],
          }),
        ),
      );
      expect(oidc!.serverMetadata().issuer).toBe(server.url);
      expect(oauth!.serverMetadata()).toEqual(oidc!.serverMetadata());
    });

    it('serves a cacheable JWK Set with public members only (RFC 7517 s4, RFC 7518 s6)', async () => {
      const response = await fetch(`${server.url}/.well-known/jwks.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
      const maxAge = /max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '');
      expect(Number(maxAge?.[1])).toBeGreaterThan(0);
      const { keys: published } = (await response.json()) as { keys: Record<string, unknown>[] };
      expect(published.length).toBeGreaterThanOrEqual(2); // the active key and the next one
      for (const key of published) {
        expect(key).toMatchObject({ kid: expect.any(String), alg: expect.any(String), use: 'sig' });
        for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
      }
    });
  });

  describe('client credentials', () => {
    it('issues a token to a client_secret_basic client, and only through its registered method', async () => {
      const tokens = await client.clientCredentialsGrant(await basicParty(), { scope: 'demo:read' });
      expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: ACCESS_TOKEN_TTL_S, scope: 'demo:read' });
      const asPost = await relyingParty('rp-basic', client.ClientSecretPost(secrets['rp-basic']!));
      expect(await failure(client.clientCredentialsGrant(asPost, { scope: 'demo:read' }))).toEqual({ status: 401, error: 'invalid_client' });
    });

    it('issues a token to a client_secret_post client, and only through its registered method', async () => {
      const tokens = await client.clientCredentialsGrant(await postParty(), { scope: 'demo:read' });
      expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'demo:read' });
      const asBasic = await relyingParty('rp-post', client.ClientSecretBasic(secrets['rp-post']!));
      expect(await failure(client.clientCredentialsGrant(asBasic, { scope: 'demo:read' }))).toEqual({ status: 401, error: 'invalid_client' });
    });

    it('refuses a wrong secret and a scope beyond the registration', async () => {
      const wrong = await relyingParty('rp-basic', client.ClientSecretBasic(`${secrets['rp-basic']}x`));
      expect(await failure(client.clientCredentialsGrant(wrong, {}))).toEqual({ status: 401, error: 'invalid_client' });
      expect(await failure(client.clientCredentialsGrant(await postParty(), { scope: 'demo:write' }))).toEqual({
        status: 400,
        error: 'invalid_scope',
      });
    });

    it('issues tokens a resource server verifies with the published keys (RFC 9068 s2, s4)', async () => {
      const { access_token: token } = await client.clientCredentialsGrant(await basicParty(), { scope: 'demo:read demo:write' });
      const { protectedHeader, payload } = await jwtVerify(token, resourceServerKeys(), {
        issuer: server.url,
        audience: AUDIENCE,
        typ: 'at+jwt',
      });
      const published = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(protectedHeader).toMatchObject({ typ: 'at+jwt', alg: 'RS256' });
      expect(published.keys.map((k) => k.kid)).toContain(protectedHeader.kid);
      expect(payload).toMatchObject({ iss: server.url, sub: 'rp-basic', aud: AUDIENCE, client_id: 'rp-basic', scope: 'demo:read demo:write' });
      expect(payload.exp! - payload.iat!).toBe(ACCESS_TOKEN_TTL_S);
      expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(30);
      expect(payload.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const again = await client.clientCredentialsGrant(await basicParty(), { scope: 'demo:read' });
      expect((await jwtVerify(again.access_token, resourceServerKeys())).payload.jti).not.toBe(payload.jti);
    });
  });

  describe('private_key_jwt (RFC 7523)', () => {
    it('authenticates a client by a key registered inline in jwks', async () => {
      const party = await relyingParty('rp-jwt', client.PrivateKeyJwt({ key: keys['rp-jwt']!.privateKey, kid: 'rp-jwt-key-1' }));
      const { access_token: token } = await client.clientCredentialsGrant(party, { scope: 'demo:read' });
      const { payload } = await jwtVerify(token, resourceServerKeys(), { issuer: server.url, audience: AUDIENCE });
      expect(payload).toMatchObject({ sub: 'rp-jwt', client_id: 'rp-jwt' });
    });

    it('authenticates a client by a key fetched from its jwks_uri', async () => {
      const hitsBefore = keyServerHits;
      const party = await relyingParty('rp-jwks-uri', client.PrivateKeyJwt({ key: keys['rp-jwks-uri']!.privateKey, kid: 'rp-jwks-uri-key-1' }));
      const { access_token: token } = await client.clientCredentialsGrant(party, { scope: 'demo:read' });
      expect(keyServerHits).toBeGreaterThan(hitsBefore);
      expect((await jwtVerify(token, resourceServerKeys())).payload).toMatchObject({ sub: 'rp-jwks-uri' });
    });

    it('refuses an assertion signed by a key the client did not register', async () => {
      const stranger = await clientKeyPair('rp-jwt-key-1'); // same kid, different key
      const party = await relyingParty('rp-jwt', client.PrivateKeyJwt({ key: stranger.privateKey, kid: 'rp-jwt-key-1' }));
      expect(await failure(client.clientCredentialsGrant(party, {}))).toEqual({ status: 401, error: 'invalid_client' });
    });

    it('refuses a replayed assertion (RFC 7523 s3, jti)', async () => {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'rp-jwt-key-1' })
        .setIssuer('rp-jwt')
        .setSubject('rp-jwt')
        .setAudience(`${server.url}/oauth2/token`)
        .setJti('replayed-assertion-1')
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(keys['rp-jwt']!.privateKey);
      const send = () =>
        fetch(`${server.url}/oauth2/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }),
        });
      expect((await send()).status).toBe(200);
      const replay = await send();
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ error: 'invalid_client' });
    });
  });

  describe('introspection and revocation (RFC 7662, RFC 7009)', () => {
    it('introspects a live token as active, with its claims', async () => {
      const party = await basicParty();
      const { access_token: token } = await client.clientCredentialsGrant(party, { scope: 'demo:read' });
      const claims = (await jwtVerify(token, resourceServerKeys())).payload;
      const introspection = await client.tokenIntrospection(party, token);
      expect(introspection).toMatchObject({
        active: true,
        client_id: 'rp-basic',
        scope: 'demo:read',
        sub: 'rp-basic',
        aud: AUDIENCE,
        iss: server.url,
        exp: claims.exp,
        jti: claims.jti,
      });
    });

    it('answers active:false once the token is revoked', async () => {
      const party = await postParty();
      const { access_token: token } = await client.clientCredentialsGrant(party, { scope: 'demo:read' });
      await client.tokenRevocation(party, token);
      expect(await client.tokenIntrospection(party, token)).toEqual({ active: false });
      await client.tokenRevocation(party, token); // revoking again is no error (RFC 7009 s2.2)
    });

    it("keeps a client's tokens out of another client's reach", async () => {
      const owner = await basicParty();
      const other = await postParty();
      const { access_token: token } = await client.clientCredentialsGrant(owner, { scope: 'demo:read' });
      expect(await client.tokenIntrospection(other, token)).toEqual({ active: false });
      await client.tokenRevocation(other, token); // 200: the token is unknown to this client
      expect(await client.tokenIntrospection(owner, token)).toMatchObject({ active: true, client_id: 'rp-basic' });
    });

    it('answers active:false for a token that is not one of ours', async () => {
      const forged = await new SignJWT({ client_id: 'rp-basic', scope: 'demo:read' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'rp-jwt-key-1' })
        .setIssuer(server.url)
        .setSubject('rp-basic')
        .setAudience(AUDIENCE)
        .setJti('forged-1')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(keys['rp-jwt']!.privateKey);
      expect(await client.tokenIntrospection(await basicParty(), forged)).toEqual({ active: false });
    });
  });

  describe('resource indicators (RFC 8707)', () => {
    it('issues a token for a registered resource, with that resource as aud', async () => {
      const { access_token: token } = await client.clientCredentialsGrant(await basicParty(), { scope: 'demo:read', resource: RESOURCE });
      const { payload } = await jwtVerify(token, resourceServerKeys(), { issuer: server.url, audience: RESOURCE, typ: 'at+jwt' });
      expect(payload.aud).toBe(RESOURCE);
      expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    });

    it('refuses a resource the client did not register with invalid_target', async () => {
      expect(await failure(client.clientCredentialsGrant(await basicParty(), { resource: 'https://elsewhere.flows.test/' }))).toEqual({
        status: 400,
        error: 'invalid_target',
      });
      expect(await failure(client.clientCredentialsGrant(await postParty(), { resource: RESOURCE }))).toEqual({
        status: 400,
        error: 'invalid_target',
      });
    });
  });
});
