import type { INestApplication } from '@nestjs/common';
import { AUDIENCE, ISSUER, claims, mint, testKey } from '../../../test/token-factory';
import { fixtureApp, PLATFORMS } from '../../../test/fixture-app';
import type { AuthModuleOptions } from '../auth-options.interface';

// The cookie transport with a resolver: the cookie carries an opaque session handle (a
// backend for frontend keeps the tokens) and `cookie.resolve` returns the access token.
const key = testKey('RS256');
const OWN_ORIGIN = 'https://app.test.example';

describe.each(PLATFORMS)('cookie session resolver on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  const sessions = new Map<string, string>();
  const resolved: string[] = [];

  beforeAll(async () => {
    const options: AuthModuleOptions = {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { local: [{ kid: key.kid, alg: 'RS256', key: key.publicKey }] },
      cookie: {
        name: 'app_session',
        allowedOrigins: [OWN_ORIGIN],
        resolve: async (handle) => {
          resolved.push(handle);
          return sessions.get(handle);
        },
      },
    };
    ({ app, url } = await fixtureApp(platform, options));
  });

  afterAll(() => app?.close());
  beforeEach(() => {
    sessions.clear();
    resolved.length = 0;
  });

  it('accepts a session handle whose resolved token is valid', async () => {
    sessions.set('handle-1', mint(key, claims({ sub: 'carol' })));
    const response = await fetch(`${url}/me`, { headers: { cookie: 'app_session=handle-1' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: 'carol' });
    expect(resolved).toEqual(['handle-1']);
  });

  it('answers 401 without error code for a handle of no live session (RFC 6750 s3.1)', async () => {
    const response = await fetch(`${url}/me`, { headers: { cookie: 'app_session=gone' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${AUDIENCE}"`);
    expect(resolved).toEqual(['gone']);
  });

  it('still verifies the resolved token: a wrong audience is invalid_token', async () => {
    sessions.set('handle-2', mint(key, claims({ aud: 'https://other.example' })));
    const response = await fetch(`${url}/me`, { headers: { cookie: 'app_session=handle-2' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('still enforces scopes on the resolved token', async () => {
    sessions.set('handle-3', mint(key, claims({ scope: 'openid' })));
    const response = await fetch(`${url}/reports`, { headers: { cookie: 'app_session=handle-3' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  it('does not call the resolver for a Bearer header', async () => {
    const response = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${mint(key)}` } });
    expect(response.status).toBe(200);
    expect(resolved).toEqual([]);
  });

  it('accepts an unsafe method with the cookie from its own origin', async () => {
    sessions.set('handle-4', mint(key, claims({ scope: 'reports:write' })));
    const response = await fetch(`${url}/reports`, { method: 'POST', headers: { cookie: 'app_session=handle-4', origin: OWN_ORIGIN } });
    expect(response.status).toBe(201);
  });
});
