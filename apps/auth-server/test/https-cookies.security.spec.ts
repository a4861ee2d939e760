import { randomBytes } from 'node:crypto';
import { describeEachDatabase, UserAgent } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { UserService } from '../src/app/users/user.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

// Cookie tossing and session hijack over plain http (RFC 6265bis s4.1.3.2 `__Host-` prefix,
// OWASP ASVS 5.0 V3.3.1): with an https issuer every cookie auth-server sets is `Secure`,
// host-only (no Domain), path `/`, and `__Host-` prefixed, so a sibling host or an
// http page cannot set or read it.

const SYSTEM = { type: 'system', id: 'test' } as const;
const REDIRECT_URI = 'https://rp.cookies.test/callback';

describeEachDatabase('cookies under an https issuer', (database) => {
  let server: RunningAuthServer;
  const password = randomBytes(12).toString('base64url');

  beforeAll(async () => {
    // The issuer says https (a TLS-terminating proxy in front); the test speaks http to the socket.
    server = await startAuthServer(database(), { AUTH_ISSUER: 'https://auth.cookies.test' });
    await server.app.get(ClientService).create(
      { client_id: 'web', grant_types: ['authorization_code'], redirect_uris: [REDIRECT_URI], scope: 'openid', token_endpoint_auth_method: 'client_secret_basic', skip_consent: true },
      SYSTEM,
    );
    await server.app.get(UserService).create({ email: 'heidi@example.com', password }, SYSTEM);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sets only __Host- cookies that are Secure, HttpOnly, SameSite=Lax, path / and host-only', async () => {
    const agent = new UserAgent(server.url);
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'web',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    await agent.open(`${server.url}/oauth2/authorize?${query}`);
    const callback = await agent.submit('Sign in', { Email: 'heidi@example.com', Password: password });
    expect(callback?.searchParams.get('iss')).toBe('https://auth.cookies.test');

    const set = agent.setCookies.filter((line) => !/max-age=0/i.test(line));
    const names = set.map((line) => line.slice(0, line.indexOf('=')));
    expect(names).toEqual(expect.arrayContaining(['__Host-auth_csrf', '__Host-auth_session']));
    for (const line of set) {
      expect(line.startsWith('__Host-')).toBe(true);
      const attributes = line.split(';').slice(1).map((a) => a.trim().toLowerCase());
      expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
      expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);
    }
    expect(agent.cookie('auth_session')).toBeUndefined();
  });
});
