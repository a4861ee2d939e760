// Attacks on the token (RFC 6749 s3.2), revocation (RFC 7009) and introspection (RFC 7662)
// endpoints: malformed and ambiguous requests (RFC 6749 s3.1, s3.2, s5.2; RFC 8707 s2),
// client enumeration and secret timing (RFC 6749 s10.1; RFC 9700 s2.5; CWE-208), credential
// confusion (RFC 6749 s2.3), oversized and undecodable input (CWE-400, CWE-20, a 500 for bad
// input), forged and unsigned tokens (RFC 8725 s2.1 "alg: none", CVE-2015-9235), and
// credential leaks into error bodies, logs and audit rows (RFC 6749 s10.3; CWE-209, CWE-532).
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { AuditQueryService, AuditService, type AuditEvent } from '@authkit/audit';
import { describeEachDatabase, findSecrets } from '@authkit/testing';
import { ClientSecretHasher } from '../src/app/clients/client-secret.hasher';
import { ClientService, type ClientView } from '../src/app/clients/client.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const FORM = 'application/x-www-form-urlencoded';
/** A secret no client has; sent as a wrong secret and hunted for in every output. */
const PLANTED = `planted-${randomBytes(18).toString('base64url')}`;
const STACK_FRAME = /\bat .+\.(?:js|ts|mjs|cjs):\d+/;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Record<string, unknown> | null;
}

/** Builds a form body by hand, so parameters can repeat and bytes can be anything. */
function form(...pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
}

/** RFC 6749 s2.3.1: id and secret are form-urlencoded, then joined with ':' and base64-encoded. */
function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

describeEachDatabase('token, revocation and introspection endpoints under attack', (database) => {
  let server: RunningAuthServer;
  /** client_credentials, client_secret_basic; registers `openid` to prove it is still refused. */
  let service: ClientView;
  /** client_credentials, client_secret_post. */
  let poster: ClientView;
  /** authorization_code only, with a secret. */
  let webApp: ClientView;
  /** A public client (`none`), authorization_code only. */
  let spa: ClientView;
  /** Every answer of this suite, scanned for stack traces and secrets at the end. */
  const answers: Answer[] = [];

  async function send(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': FORM, ...headers },
      body,
    });
    const text = await response.text();
    let parsed: Record<string, unknown> | null = null;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      parsed = null;
    }
    const answer = { status: response.status, headers: response.headers, text, body: parsed };
    answers.push(answer);
    return answer;
  }

  const token = (body: string | Buffer, headers?: Record<string, string>) => send('/oauth2/token', body, headers);
  const serviceAuth = () => ({ authorization: basic(service.client_id, service.client_secret!) });
  const ccGrant = ['grant_type', 'client_credentials'] as const;

  /** Status, `error` code and `Cache-Control: no-store` (RFC 6749 s5.1); 401 also a Basic challenge (s5.2). */
  function expectOAuthError(answer: Answer, status: number, error: string): void {
    expect({ status: answer.status, error: answer.body?.['error'] }).toEqual({ status, error });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm="[^"]+"/);
    expect(answer.text).not.toMatch(STACK_FRAME);
  }

  async function issueToken(): Promise<string> {
    const answer = await token(form(ccGrant), serviceAuth());
    expect(answer.status).toBe(200);
    return answer.body!['access_token'] as string;
  }

  beforeAll(async () => {
    server = await startAuthServer(database());
    const clients = server.app.get(ClientService);
    const actor = { type: 'system', id: 'test' };
    service = await clients.create(
      { grant_types: ['client_credentials'], scope: 'read write openid', resources: ['https://api.example.com/'] },
      actor,
    );
    poster = await clients.create({ grant_types: ['client_credentials'], scope: 'read', token_endpoint_auth_method: 'client_secret_post' }, actor);
    webApp = await clients.create({ grant_types: ['authorization_code'], redirect_uris: ['https://app.example.com/cb'], scope: 'read' }, actor);
    spa = await clients.create(
      { grant_types: ['authorization_code'], redirect_uris: ['https://spa.example.com/cb'], token_endpoint_auth_method: 'none' },
      actor,
    );
  });
  afterAll(() => server?.close());

  it('issues a token to a well-formed request (the control every refusal below differs from)', async () => {
    const answer = await token(form(ccGrant, ['scope', 'read'], ['resource', 'https://api.example.com/']), serviceAuth());
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', scope: 'read' });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const viaPost = await token(form(ccGrant, ['client_id', poster.client_id], ['client_secret', poster.client_secret!]));
    expect(viaPost.status).toBe(200);
  });

  describe('RFC 6749 s5.2 invalid_request', () => {
    it('refuses a request without grant_type', async () => {
      expectOAuthError(await token(form(['scope', 'read']), serviceAuth()), 400, 'invalid_request');
    });

    it.each([
      ['scope', [ccGrant, ['scope', 'read'], ['scope', 'write']]],
      ['grant_type', [ccGrant, ccGrant]],
      ['client_secret', [ccGrant, ['client_id', 'x'], ['client_secret', 'a'], ['client_secret', 'b']]],
    ] as const)('refuses a repeated %s parameter (RFC 6749 s3.2)', async (_name, pairs) => {
      const headers = pairs.some(([n]) => n === 'client_id') ? {} : serviceAuth();
      expectOAuthError(await token(form(...pairs), headers), 400, 'invalid_request');
    });

    it('refuses two authentication methods at once: Basic and client_secret in the body (RFC 6749 s2.3)', async () => {
      const answer = await token(form(ccGrant, ['client_secret', service.client_secret!]), serviceAuth());
      expectOAuthError(answer, 400, 'invalid_request');
    });

    it('refuses a body client_id that differs from the Basic one (RFC 6749 s2.3.1)', async () => {
      const answer = await token(form(ccGrant, ['client_id', poster.client_id]), serviceAuth());
      expectOAuthError(answer, 400, 'invalid_request');
    });

    it('refuses a JSON body (RFC 6749 s3.2: application/x-www-form-urlencoded)', async () => {
      const body = JSON.stringify({ grant_type: 'client_credentials' });
      expectOAuthError(await token(body, { ...serviceAuth(), 'content-type': 'application/json' }), 400, 'invalid_request');
    });

    it.each(['text/plain', 'application/xml', 'multipart/form-data; boundary=x'])(
      'refuses the content type %s with invalid_request',
      async (contentType) => {
        const answer = await token(form(ccGrant), { ...serviceAuth(), 'content-type': contentType });
        expectOAuthError(answer, 400, 'invalid_request');
      },
    );

    it.each(['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect'])('%s refuses a body sent without a content type', async (path) => {
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: serviceAuth(), body: new Blob([form(ccGrant)]) });
      const text = await response.text();
      const answer = { status: response.status, headers: response.headers, text, body: JSON.parse(text) as Record<string, unknown> };
      answers.push(answer);
      expectOAuthError(answer, 400, 'invalid_request');
    });

    it('still answers other routes with 415 for a media type they cannot parse', async () => {
      const answer = await send('/admin/clients', '<client/>', { 'content-type': 'application/xml' });
      expect({ status: answer.status, error: answer.body?.['error'] }).toEqual({ status: 415, error: 'unsupported_media_type' });
    });

    it('answers a syntactically invalid Content-Type with a 4xx code, no-store and no stack', async () => {
      // Fastify refuses a header that is not type/subtype (RFC 9110 s8.3.1) before any parser
      // runs, so this one stays a 415 rather than the RFC 6749 s5.2 invalid_request.
      const answer = await token(form(ccGrant), { ...serviceAuth(), 'content-type': 'form' });
      expectOAuthError(answer, 415, 'unsupported_media_type');
    });

    it('refuses a __proto__ parameter (prototype pollution) without a 500', async () => {
      const answer = await token(`${form(ccGrant)}&__proto__=x&__proto__%5Bscope%5D=admin`, serviceAuth());
      expectOAuthError(answer, 400, 'invalid_request');
    });
  });

  describe('RFC 6749 s5.2 invalid_client', () => {
    it('refuses an unknown client', async () => {
      expectOAuthError(await token(form(ccGrant), { authorization: basic('no-such-client', PLANTED) }), 401, 'invalid_client');
    });

    it('refuses a wrong secret', async () => {
      expectOAuthError(await token(form(ccGrant), { authorization: basic(service.client_id, PLANTED) }), 401, 'invalid_client');
    });

    it('refuses a request with no client authentication at all', async () => {
      expectOAuthError(await token(form(ccGrant)), 401, 'invalid_client');
    });

    it('refuses a client_secret_post client that uses Basic, even with its right secret', async () => {
      const answer = await token(form(ccGrant), { authorization: basic(poster.client_id, poster.client_secret!) });
      expectOAuthError(answer, 401, 'invalid_client');
    });

    it('refuses a client_secret_basic client that puts its secret in the body', async () => {
      const answer = await token(form(ccGrant, ['client_id', service.client_id], ['client_secret', service.client_secret!]));
      expectOAuthError(answer, 401, 'invalid_client');
    });

    it.each([
      ['not base64', 'Basic !!!%%%***'],
      ['no colon', `Basic ${Buffer.from('just-an-id').toString('base64')}`],
      ['empty client id', `Basic ${Buffer.from(`:${PLANTED}`).toString('base64')}`],
      ['undecodable percent-encoding', `Basic ${Buffer.from(`%ZZ:${PLANTED}`).toString('base64')}`],
      ['no credentials after the scheme', 'Basic'],
      ['another scheme', `Bearer ${PLANTED}`],
    ])('refuses a malformed Authorization header (%s)', async (_name, authorization) => {
      expectOAuthError(await token(form(ccGrant), { authorization }), 401, 'invalid_client');
    });
  });

  describe('RFC 6749 s5.2 unauthorized_client', () => {
    it('refuses client_credentials to a confidential client registered only for authorization_code', async () => {
      const answer = await token(form(ccGrant), { authorization: basic(webApp.client_id, webApp.client_secret!) });
      expectOAuthError(answer, 400, 'unauthorized_client');
    });

    it('refuses client_credentials to a public client (auth method none, RFC 6749 s4.4)', async () => {
      expectOAuthError(await token(form(ccGrant, ['client_id', spa.client_id])), 400, 'unauthorized_client');
    });
  });

  describe('RFC 6749 s5.2 unsupported_grant_type', () => {
    it.each([
      'password', // RFC 9700 s2.4
      'implicit', // RFC 9700 s2.1.2; not even a token-endpoint grant
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      `x-${randomBytes(6).toString('hex')}`,
    ])('refuses grant_type=%s', async (grantType) => {
      const answer = await token(form(['grant_type', grantType], ['username', 'alice'], ['password', PLANTED]), serviceAuth());
      expectOAuthError(answer, 400, 'unsupported_grant_type');
    });
  });

  describe('RFC 6749 s5.2 invalid_scope', () => {
    it.each([
      ['a scope not registered for the client', 'read admin'],
      ['a double quote (not NQCHAR, RFC 6749 s3.3)', 'read "write'],
      ['a backslash (not NQCHAR, RFC 6749 s3.3)', 'read\\write'],
      ['a doubled space (empty scope-token)', 'read  write'],
      ['a user-only scope, registered but meaningless without a user', 'openid'],
      ['offline_access, which would ask for a refresh token (RFC 6749 s4.4.3)', 'read offline_access'],
    ])('refuses %s', async (_name, scope) => {
      expectOAuthError(await token(form(ccGrant, ['scope', scope]), serviceAuth()), 400, 'invalid_scope');
    });
  });

  describe('RFC 8707 s2 invalid_target', () => {
    it.each([
      ['an unregistered resource', 'https://other.example.com/'],
      ['a resource with a fragment', 'https://api.example.com/#frag'],
      ['a resource with an empty fragment', 'https://api.example.com/#'],
      ['a relative resource', '/api'],
      ['a registered resource next to an unregistered one', ['https://api.example.com/', 'https://evil.example.com/']],
    ])('refuses %s', async (_name, resource) => {
      const resources = (Array.isArray(resource) ? resource : [resource]).map((r) => ['resource', r] as const);
      expectOAuthError(await token(form(ccGrant, ...resources), serviceAuth()), 400, 'invalid_target');
    });
  });

  describe('client enumeration and secret timing (RFC 6749 s10.1, CWE-208)', () => {
    const comparable = (answer: Answer) => {
      const headers = Object.fromEntries([...answer.headers].filter(([name]) => name !== 'x-request-id' && name !== 'date'));
      return { status: answer.status, body: answer.text, headers };
    };

    it.each(['basic', 'post'] as const)('answers an unknown client and a wrong secret alike (%s)', async (method) => {
      const request = (client: ClientView | { client_id: string }) =>
        method === 'basic'
          ? token(form(ccGrant), { authorization: basic(client.client_id, PLANTED) })
          : token(form(ccGrant, ['client_id', client.client_id], ['client_secret', PLANTED]));
      const unknown = await request({ client_id: `ghost-${randomBytes(4).toString('hex')}` });
      const wrong = await request(method === 'basic' ? service : poster);
      expectOAuthError(unknown, 401, 'invalid_client');
      expect(comparable(unknown)).toEqual(comparable(wrong));
    });

    it('runs the secret comparison once for an unknown client (against a decoy) and once for a wrong secret', async () => {
      const matches = jest.spyOn(ClientSecretHasher.prototype, 'matches');
      try {
        await token(form(ccGrant), { authorization: basic(`ghost-${randomBytes(4).toString('hex')}`, PLANTED) });
        expect(matches).toHaveBeenCalledTimes(1);
        expect(matches).toHaveBeenLastCalledWith(PLANTED, []);
        expect(matches).toHaveLastReturnedWith(false);
        matches.mockClear();
        await token(form(ccGrant), { authorization: basic(service.client_id, PLANTED) });
        expect(matches).toHaveBeenCalledTimes(1);
        expect(matches.mock.calls[0]![1]).toHaveLength(1);
        expect(matches).toHaveLastReturnedWith(false);
        matches.mockClear();
        // A known client with the wrong method still pays for the comparison.
        await token(form(ccGrant), { authorization: basic(poster.client_id, PLANTED) });
        expect(matches).toHaveBeenCalledTimes(1);
      } finally {
        matches.mockRestore();
      }
    });
  });

  describe('oversized and undecodable input (CWE-400, CWE-20: a 4xx, never a 500)', () => {
    it('refuses a 70 KB body with 413 and an error code', async () => {
      const answer = await token(form(ccGrant, ['scope', 'a'.repeat(70 * 1024)]), serviceAuth());
      expectOAuthError(answer, 413, 'request_too_large');
    });

    it('refuses a 10 KB scope', async () => {
      const answer = await token(form(ccGrant, ['scope', 'a'.repeat(10 * 1024)]), serviceAuth());
      expectOAuthError(answer, 400, 'invalid_scope');
    });

    it('refuses 60 distinct parameters', async () => {
      const pairs = Array.from({ length: 59 }, (_, i) => [`p${i}`, 'x'] as const);
      expectOAuthError(await token(form(ccGrant, ...pairs), serviceAuth()), 400, 'invalid_request');
    });

    it('refuses a 5,000-character client_id as an unknown client', async () => {
      const long = 'c'.repeat(5000);
      expectOAuthError(await token(form(ccGrant), { authorization: basic(long, PLANTED) }), 401, 'invalid_client');
      expectOAuthError(await token(form(ccGrant, ['client_id', long], ['client_secret', PLANTED])), 401, 'invalid_client');
      expectOAuthError(await token(form(ccGrant, ['client_id', long])), 401, 'invalid_client');
    });

    it.each([
      ['%ZZ in client_id', `grant_type=client_credentials&client_id=%ZZ&client_secret=${PLANTED}`],
      ['a NUL byte in client_id', `grant_type=client_credentials&client_id=svc%00&client_secret=${PLANTED}`],
      ['a lone NUL client_id', `grant_type=client_credentials&client_id=%00`],
      ['overlong UTF-8 in client_id', `grant_type=client_credentials&client_id=%C0%AF&client_secret=${PLANTED}`],
      ['an encoded surrogate in client_id', `grant_type=client_credentials&client_id=%ED%A0%80&client_secret=${PLANTED}`],
    ])('answers %s with invalid_client, not a 500', async (_name, body) => {
      expectOAuthError(await token(body), 401, 'invalid_client');
    });

    it('answers a NUL byte in a Basic client id with invalid_client, not a 500', async () => {
      expectOAuthError(await token(form(ccGrant), { authorization: basic('svc\u0000', PLANTED) }), 401, 'invalid_client');
    });

    it.each([
      ['%C3%28 (invalid UTF-8) in scope', Buffer.from('grant_type=client_credentials&scope=%C3%28')],
      ['%ZZ in scope', Buffer.from('grant_type=client_credentials&scope=read%ZZ')],
      ['raw non-UTF-8 bytes in scope', Buffer.concat([Buffer.from('grant_type=client_credentials&scope='), Buffer.from([0xff, 0xfe, 0xc3, 0x28])])],
      ['a NUL byte in scope', Buffer.from('grant_type=client_credentials&scope=read%00')],
    ])('answers %s with invalid_scope, not a 500', async (_name, body) => {
      expectOAuthError(await token(body, serviceAuth()), 400, 'invalid_scope');
    });

    it.each([
      ['a NUL byte in grant_type', 'grant_type=client_credentials%00', 'unsupported_grant_type'],
      ['%ZZ in grant_type', 'grant_type=%ZZ', 'unsupported_grant_type'],
      ['a garbage parameter name', `${form(ccGrant)}&%ZZ%C3%28=1`, 'ok'],
      ['a NUL byte in resource', `${form(ccGrant)}&resource=https%3A%2F%2Fapi.example.com%2F%00`, 'invalid_target'],
    ])('answers %s without a 500', async (_name, body, error) => {
      const answer = await token(body, serviceAuth());
      if (error === 'ok') expect(answer.status).toBe(200);
      else expectOAuthError(answer, 400, error);
    });

    it.each(['=', '&&&', '', '==&=&', 'grant_type'])('answers the body %j with invalid_request', async (body) => {
      expectOAuthError(await token(body, serviceAuth()), 400, 'invalid_request');
    });
  });

  describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
    it.each(['/oauth2/revoke', '/oauth2/introspect'])('%s requires client authentication', async (path) => {
      const issued = await issueToken();
      expectOAuthError(await send(path, form(['token', issued])), 401, 'invalid_client');
      expectOAuthError(await send(path, form(['token', issued]), { authorization: basic(service.client_id, PLANTED) }), 401, 'invalid_client');
    });

    it.each(['/oauth2/revoke', '/oauth2/introspect'])('%s refuses a request without token', async (path) => {
      expectOAuthError(await send(path, form(['token_type_hint', 'access_token']), serviceAuth()), 400, 'invalid_request');
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['three dots of garbage', 'a.b.c'],
      ['a 9 KB token', 'x'.repeat(9000)],
      ['a JWT with a NUL in its header', `${Buffer.from('{"kid":"\u0000"}').toString('base64url')}.e30.sig`],
    ])('revoke answers 200 with an empty body for %s', async (_name, value) => {
      const answer = await send('/oauth2/revoke', form(['token', value]), serviceAuth());
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['three dots of garbage', 'a.b.c'],
      ['a 9 KB token', 'x'.repeat(9000)],
    ])('introspect answers {"active":false} for %s', async (_name, value) => {
      const answer = await send('/oauth2/introspect', form(['token', value]), serviceAuth());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ active: false });
      expect(answer.headers.get('cache-control')).toBe('no-store');
    });

    it('introspect answers active:false for a token signed by another key under the same kid (forgery)', async () => {
      const genuine = await issueToken();
      const control = await send('/oauth2/introspect', form(['token', genuine]), serviceAuth());
      expect(control.body).toMatchObject({ active: true, client_id: service.client_id });
      const { kid, alg } = decodeProtectedHeader(genuine);
      const claims = JSON.parse(Buffer.from(genuine.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      const { privateKey } = await generateKeyPair(alg!);
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: alg!, typ: 'at+jwt', kid: kid! }).sign(privateKey);
      const answer = await send('/oauth2/introspect', form(['token', forged]), serviceAuth());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ active: false });
    });

    it('introspect answers active:false for an unsigned token (alg "none", RFC 8725 s2.1)', async () => {
      const genuine = await issueToken();
      const [, payload] = genuine.split('.');
      const { kid } = decodeProtectedHeader(genuine);
      for (const alg of ['none', 'None', 'NONE']) {
        const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid })).toString('base64url');
        for (const unsigned of [`${header}.${payload}.`, `${header}.${payload}.${genuine.split('.')[2]}`]) {
          const answer = await send('/oauth2/introspect', form(['token', unsigned]), serviceAuth());
          expect({ alg, body: answer.body }).toEqual({ alg, body: { active: false } });
        }
      }
    });

    it('introspect answers active:false for HS256 keyed with the public key (algorithm confusion, CVE-2015-9235)', async () => {
      const genuine = await issueToken();
      const { kid } = decodeProtectedHeader(genuine);
      const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
      const publicJwk = JSON.stringify(jwks.keys.find((k) => k.kid === kid));
      const claims = JSON.parse(Buffer.from(genuine.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: kid! }).sign(Buffer.from(publicJwk));
      const answer = await send('/oauth2/introspect', form(['token', confused]), serviceAuth());
      expect(answer.body).toEqual({ active: false });
    });

    it('introspection of a revoked token answers active:false', async () => {
      const issued = await issueToken();
      expect((await send('/oauth2/introspect', form(['token', issued]), serviceAuth())).body).toMatchObject({ active: true });
      const revoked = await send('/oauth2/revoke', form(['token', issued], ['token_type_hint', 'access_token']), serviceAuth());
      expect(revoked.status).toBe(200);
      expect((await send('/oauth2/introspect', form(['token', issued]), serviceAuth())).body).toEqual({ active: false });
    });

    it("cannot introspect or revoke another client's token (RFC 7009 s2.1, RFC 7662 s4)", async () => {
      const issued = await issueToken();
      const posterAuth = [['client_id', poster.client_id], ['client_secret', poster.client_secret!]] as const;
      expect((await send('/oauth2/introspect', form(['token', issued], ...posterAuth))).body).toEqual({ active: false });
      expect((await send('/oauth2/revoke', form(['token', issued], ...posterAuth))).status).toBe(200);
      expect((await send('/oauth2/introspect', form(['token', issued]), serviceAuth())).body).toMatchObject({ active: true });
    });
  });

  describe('audit of failed client authentication', () => {
    it('records client.authentication.failed for each failure, and no row holds a submitted secret', async () => {
      const tag = randomBytes(4).toString('hex');
      const failures: [string, string, string | Buffer, Record<string, string>][] = [
        ['unknown', '/oauth2/token', form(ccGrant), { authorization: basic(`ghost-${tag}`, PLANTED) }],
        ['wrong-secret', '/oauth2/token', form(ccGrant), { authorization: basic(service.client_id, PLANTED) }],
        ['wrong-method', '/oauth2/token', form(ccGrant), { authorization: basic(poster.client_id, poster.client_secret!) }],
        ['wrong-post', '/oauth2/token', form(ccGrant, ['client_id', poster.client_id], ['client_secret', PLANTED]), {}],
        ['malformed-basic', '/oauth2/token', form(ccGrant), { authorization: `Basic ${Buffer.from(PLANTED).toString('base64')}` }],
        ['other-scheme', '/oauth2/token', form(ccGrant), { authorization: `Bearer ${PLANTED}` }],
        ['no-auth', '/oauth2/token', form(ccGrant), {}],
        ['long-id', '/oauth2/token', form(ccGrant), { authorization: basic('c'.repeat(5000), PLANTED) }],
        ['nul-id', '/oauth2/token', `grant_type=client_credentials&client_id=svc%00&client_secret=${PLANTED}`, {}],
        ['revoke', '/oauth2/revoke', form(['token', 'x']), { authorization: basic(service.client_id, PLANTED) }],
        ['introspect', '/oauth2/introspect', form(['token', 'x']), { authorization: basic(`ghost-${tag}`, PLANTED) }],
      ];
      for (const [name, path, body, headers] of failures) {
        expectOAuthError(await send(path, body, { ...headers, 'x-request-id': `audit-${tag}-${name}` }), 401, 'invalid_client');
      }
      await server.app.get(AuditService).flush();
      const { events } = await server.app.get(AuditQueryService).find({ type: 'client.authentication.failed', limit: 500 });
      const byRequest = new Map<string, AuditEvent[]>();
      for (const event of events) byRequest.set(event.requestId ?? '', [...(byRequest.get(event.requestId ?? '') ?? []), event]);
      for (const [name] of failures) {
        expect({ name, recorded: byRequest.get(`audit-${tag}-${name}`)?.length ?? 0 }).toEqual({ name, recorded: 1 });
      }
      expect(byRequest.get(`audit-${tag}-wrong-secret`)![0]!.actor).toEqual({ type: 'client', id: service.client_id });
      expect(byRequest.get(`audit-${tag}-long-id`)![0]!.actor!.id.length).toBeLessThanOrEqual(128);
      const secrets = [PLANTED, service.client_secret!, poster.client_secret!];
      expect(findSecrets(JSON.stringify(events), secrets)).toEqual([]);
    });
  });

  it('never answers with a stack trace or a submitted secret, nor logs one', async () => {
    // Secrets sent in every place a client might put them, on requests that fail.
    const secrets = [PLANTED, service.client_secret!, poster.client_secret!, webApp.client_secret!];
    await token(form(['grant_type', 'password'], ['password', PLANTED]), serviceAuth());
    await token(form(ccGrant, ['scope', PLANTED]), serviceAuth());
    await token(form(ccGrant, ['resource', `https://api.example.com/${PLANTED}`]), serviceAuth());
    await token(form(ccGrant, ['client_id', service.client_id], ['client_secret', service.client_secret!]), serviceAuth());
    await token(form(ccGrant), { authorization: basic(poster.client_id, poster.client_secret!) });
    await token(`${form(ccGrant)}&client_secret=${PLANTED}&client_secret=${PLANTED}`, { authorization: basic(webApp.client_id, webApp.client_secret!) });
    await send('/oauth2/introspect', form(['token', PLANTED]), { authorization: basic(service.client_id, PLANTED) });
    // Scans the seven answers above and, in a full run, every answer of the suite.
    const failed = answers.filter((a) => a.status >= 400);
    expect(failed.length).toBeGreaterThanOrEqual(7);
    expect(failed.every((a) => a.status < 500)).toBe(true);
    for (const answer of failed) {
      expect(answer.text).not.toMatch(STACK_FRAME);
      expect(findSecrets(answer.text, secrets)).toEqual([]);
    }
    expect(server.logs.text()).not.toMatch(STACK_FRAME);
    expect(findSecrets(server.logs.text(), secrets)).toEqual([]);
  });
});
