import type { INestApplication } from '@nestjs/common';
import { AUDIENCE, ISSUER, claims, mint, testKey } from '../../../test/token-factory';
import { fixtureApp, PLATFORMS } from '../../../test/fixture-app';
import type { AuthModuleOptions } from '../auth-options.interface';

// Attacks on the cookie transport with a session resolver (backend for frontend).
const key = testKey('RS256');
const OWN_ORIGIN = 'https://app.test.example';

describe.each(PLATFORMS)('cookie session resolver attacks on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  const sessions = new Map<string, string>();
  let failing = false;
  let calls = 0;

  beforeAll(async () => {
    const options: AuthModuleOptions = {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { local: [{ kid: key.kid, alg: 'RS256', key: key.publicKey }] },
      cookie: {
        name: 'app_session',
        allowedOrigins: [OWN_ORIGIN],
        resolve: async (handle) => {
          calls += 1;
          if (failing) throw new Error('session store down');
          return sessions.get(handle);
        },
      },
    };
    ({ app, url } = await fixtureApp(platform, options));
  });

  afterAll(() => app?.close());
  beforeEach(() => {
    sessions.clear();
    failing = false;
    calls = 0;
  });

  // CWE-636 (not failing securely): a store outage must neither let the request through
  // nor look like "signed out" (401 would make clients drop a live session).
  it('fails closed with 503 when the resolver throws (CWE-636)', async () => {
    sessions.set('live', mint(key));
    failing = true;
    const response = await fetch(`${url}/me`, { headers: { cookie: 'app_session=live' } });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  // CSRF (OWASP CSRF cheat sheet, CWE-352): a cross-site form POST carries the cookie.
  it.each([
    ['a foreign Origin', { origin: 'https://evil.example' }],
    ['the opaque Origin null', { origin: 'null' }],
    ['no Origin and no Referer', {}],
    ['a foreign Referer', { referer: 'https://evil.example/page' }],
  ])('refuses an unsafe method with the cookie from %s (CSRF, CWE-352) before resolving it', async (_label, headers) => {
    sessions.set('live', mint(key, claims({ scope: 'reports:write' })));
    const response = await fetch(`${url}/reports`, { method: 'POST', headers: { cookie: 'app_session=live', ...headers } });
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    expect(calls).toBe(0);
  });

  // RFC 6750 s2: "Clients MUST NOT use more than one method to transmit the token".
  it('refuses a Bearer header together with the session cookie (RFC 6750 s2)', async () => {
    sessions.set('live', mint(key));
    const response = await fetch(`${url}/me`, { headers: { cookie: 'app_session=live', authorization: `Bearer ${mint(key)}` } });
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
  });

  // Transport confusion: with a resolver, the cookie is a handle; an attacker who plants a
  // raw JWT in it (cookie tossing from a sibling domain, CWE-565) must not be authenticated by it.
  it('does not accept a raw access token planted in the session cookie (CWE-565)', async () => {
    const response = await fetch(`${url}/me`, { headers: { cookie: `app_session=${mint(key)}` } });
    expect(response.status).toBe(401);
    expect(calls).toBe(1);
  });

  // Two cookies of the same name (cookie tossing): ambiguous, refused rather than guessed.
  it('refuses two session cookies of the same name (CWE-565)', async () => {
    sessions.set('a', mint(key));
    sessions.set('b', mint(key));
    const response = await fetch(`${url}/me`, { headers: { cookie: 'app_session=a; app_session=b' } });
    expect(response.status).toBe(400);
    expect(calls).toBe(0);
  });
});
