import { fixtureApp, PLATFORMS } from './fixture-app';
import { AUDIENCE, claims, ISSUER, mint, testKey } from './token-factory';

describe.each(PLATFORMS)('AuthModule guards on %s', (platform) => {
  const key = testKey('RS256');
  let app: Awaited<ReturnType<typeof fixtureApp>>;
  beforeAll(async () => {
    app = await fixtureApp(platform, { issuer: ISSUER, audience: AUDIENCE, keys: { local: [{ kid: key.kid, alg: 'RS256', key: key.publicKey }] } });
  });
  afterAll(() => app.app.close());

  const get = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });

  it('accepts a valid token and exposes the principal', async () => {
    const response = await get('/me', mint(key));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'alice', client_id: 'demo-web', scopes: ['openid', 'reports:read'] });
  });

  it('answers 401 with a bare challenge and no error code when no token is sent (RFC 6750 s3.1)', async () => {
    const response = await get('/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${AUDIENCE}"`);
  });

  it('answers invalid_token for a bad token', async () => {
    const response = await get('/me', mint(key, claims({ iss: 'https://evil.example' })));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });

  it('answers 403 insufficient_scope naming the scope', async () => {
    const response = await fetch(`${app.url}/reports`, { method: 'POST', headers: { authorization: `Bearer ${mint(key)}` } });
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toMatch(/error="insufficient_scope"/);
    expect(challenge).toMatch(/scope="reports:write"/);
  });

  it('enforces scopes, roles and a second factor', async () => {
    expect((await get('/reports', mint(key))).status).toBe(200);
    expect((await get('/admin', mint(key))).status).toBe(200);
    const noMfa = await get('/admin', mint(key, claims({ amr: ['pwd'] })));
    expect(noMfa.status).toBe(403);
    expect(await noMfa.json()).toMatchObject({ error: 'mfa_required' });
    const noRole = await get('/admin', mint(key, claims({ roles: [] })));
    expect(noRole.status).toBe(403);
    expect(await noRole.json()).toMatchObject({ error: 'insufficient_role' });
    const stale = await get('/step-up', mint(key, claims({ auth_time: Math.floor(Date.now() / 1000) - 3600 })));
    expect(await stale.json()).toMatchObject({ error: 'step_up_required' });
  });

  it('runs the same check through the passport strategy authkit-jwt', async () => {
    const ok = await get('/passport', mint(key));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: 'alice' });
    const bad = await get('/passport', mint(key, claims({ aud: 'https://other.example' })));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expect((await get('/passport')).status).toBe(401);
  });

  it('lets @Public routes through without a token', async () => {
    expect((await get('/open')).status).toBe(200);
  });

  it('refuses a token in the query string and two tokens at once with invalid_request', async () => {
    const token = mint(key);
    const query = await get(`/me?access_token=${token}`);
    expect(query.status).toBe(400);
    expect(query.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    const malformed = await get('/me', undefined, { headers: { authorization: 'Bearer a b c' } });
    expect(malformed.status).toBe(400);
  });
});
