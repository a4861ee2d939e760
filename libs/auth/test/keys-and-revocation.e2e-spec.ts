import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { InMemoryRevocationStore, RedisRevocationStore, REVOKED_KEY_PREFIX, type AuthModuleOptions, type RevocationStore } from '../src/index';
import { fixtureApp, PLATFORMS, type Platform } from './fixture-app';
import { deadUrl, startStub, type HttpStub } from './http-stub';
import { AUDIENCE, claims, ISSUER, mint, testKey, type TestKey } from './token-factory';

const DISCOVERY = '/.well-known/oauth-authorization-server';
const COOLDOWN_MS = 30_000; // KeySource's refetch cooldown for unknown kids

type App = Awaited<ReturnType<typeof fixtureApp>>;

/**
 * The key source's cooldown and the introspection cache read `Date.now()`. Only that
 * function is moved forward: faking timers too would stall the HTTP servers and sockets.
 */
function systemClock() {
  const real = Date.now.bind(Date);
  let offsetMs = 0;
  let spy: jest.SpyInstance<number, []> | undefined;
  return {
    install: () => {
      spy = jest.spyOn(Date, 'now').mockImplementation(() => real() + offsetMs);
    },
    advance: (ms: number) => {
      offsetMs += ms;
    },
    restore: () => spy?.mockRestore(),
  };
}

const get = (app: App, token?: string, path = '/me') => fetch(`${app.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

async function expectInvalidToken(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  expect(await response.json()).toMatchObject({ error: 'invalid_token' });
}

async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
}

/** A fake authorization server publishing discovery metadata and a JWKS that tests can change. */
async function issuerStub(options: { published: () => TestKey[]; metadataIssuer?: string; jwksUri?: string; jwksStatus?: () => number }): Promise<HttpStub> {
  return startStub((request, url) => {
    if (request.path === DISCOVERY) return { json: { issuer: options.metadataIssuer ?? url, jwks_uri: options.jwksUri ?? `${url}/jwks` } };
    if (request.path === '/jwks') {
      const status = options.jwksStatus?.() ?? 200;
      return status === 200 ? { json: { keys: options.published().map((k) => k.jwk) } } : { status, json: { error: 'server_error' } };
    }
    return undefined;
  });
}

describe('keys from the issuer discovery document (RFC 8414 s3, RFC 7517)', () => {
  const clock = systemClock();
  const first = testKey('RS256');
  const second = testKey('ES256');
  const stranger = testKey('RS256');
  let published: TestKey[] = [first];
  let as: HttpStub;
  let app: App;
  const token = (key: TestKey, overrides: Record<string, unknown> = {}) => mint(key, claims({ iss: as.url, ...overrides }));

  beforeAll(async () => {
    clock.install();
    as = await issuerStub({ published: () => published });
    app = await fixtureApp('fastify', { issuer: as.url, audience: AUDIENCE });
  });
  afterAll(async () => {
    await app.app.close();
    await as.close();
    clock.restore();
  });

  it('fetches the discovery document and the JWKS once for 100 concurrent requests', async () => {
    const responses = await Promise.all(Array.from({ length: 100 }, () => get(app, token(first))));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(as.count(DISCOVERY)).toBe(1);
    expect(as.count('/jwks')).toBe(1);
  });

  it('refetches the JWKS once for an unknown kid after the cooldown, and not again within it', async () => {
    // Within the cooldown of the first fetch: refused without a fetch.
    await expectInvalidToken(await get(app, token(stranger)));
    expect(as.count('/jwks')).toBe(1);
    clock.advance(COOLDOWN_MS + 1_000);
    await expectInvalidToken(await get(app, token(stranger)));
    expect(as.count('/jwks')).toBe(2);
    for (let i = 0; i < 5; i++) await expectInvalidToken(await get(app, mint(stranger, claims({ iss: as.url }), { kid: `unknown-${i}` })));
    expect(as.count('/jwks')).toBe(2);
  });

  it('picks up a newly published key on the refetch an unknown kid triggers', async () => {
    published = [first, second];
    clock.advance(COOLDOWN_MS + 1_000);
    expect((await get(app, token(second))).status).toBe(200);
    expect(as.count('/jwks')).toBe(3);
  });

  it('refuses a cached token once its key has left the JWKS (verified-token cache follows the key set)', async () => {
    const cached = token(first);
    expect((await get(app, cached)).status).toBe(200);
    published = [second];
    // Until the set is refetched, the verified token is served from the cache.
    expect((await get(app, cached)).status).toBe(200);
    clock.advance(COOLDOWN_MS + 1_000);
    await expectInvalidToken(await get(app, token(stranger)));
    expect(as.count('/jwks')).toBe(4);
    await expectInvalidToken(await get(app, cached));
    expect((await get(app, token(second))).status).toBe(200);
  });
});

describe('keys that cannot be obtained fail closed', () => {
  let as: HttpStub | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.app.close();
    await as?.close();
    app = as = undefined;
  });

  it('answers 503 when the discovery document names another issuer (RFC 8414 s3.3), and never fetches its JWKS', async () => {
    const key = testKey('RS256');
    as = await issuerStub({ published: () => [key], metadataIssuer: 'https://impostor.example' });
    app = await fixtureApp('fastify', { issuer: as.url, audience: AUDIENCE });
    await expectUnavailable(await get(app, mint(key, claims({ iss: as.url }))));
    expect(as.count(DISCOVERY)).toBe(1);
    expect(as.count('/jwks')).toBe(0);
  });

  it('answers 503 when the JWKS server is down at the first request', async () => {
    const key = testKey('RS256');
    as = await issuerStub({ published: () => [key], jwksUri: `${await deadUrl()}/jwks` });
    app = await fixtureApp('fastify', { issuer: as.url, audience: AUDIENCE });
    await expectUnavailable(await get(app, mint(key, claims({ iss: as.url }))));
  });

  it('answers 503 while the JWKS endpoint fails, then recovers without a restart', async () => {
    const key = testKey('RS256');
    let status = 500;
    as = await issuerStub({ published: () => [key], jwksStatus: () => status });
    app = await fixtureApp('fastify', { issuer: as.url, audience: AUDIENCE });
    await expectUnavailable(await get(app, mint(key, claims({ iss: as.url }))));
    status = 200;
    expect((await get(app, mint(key, claims({ iss: as.url })))).status).toBe(200);
  });
});

describe('revocation', () => {
  const key = testKey('RS256');
  const local = { local: [{ kid: key.kid, alg: 'RS256' as const, key: key.publicKey }] };
  const start = (options: Partial<AuthModuleOptions>, platform: Platform = 'fastify') =>
    fixtureApp(platform, { issuer: ISSUER, audience: AUDIENCE, keys: local, ...options });

  describe('shared-store', () => {
    it('refuses a revoked jti on the next request although the token was cached as verified', async () => {
      const store = new InMemoryRevocationStore();
      const app = await start({ revocation: { strategy: 'shared-store', store } });
      try {
        const payload = claims();
        const token = mint(key, payload);
        expect((await get(app, token)).status).toBe(200);
        expect((await get(app, token)).status).toBe(200);
        await store.revoke(payload['jti'] as string, payload['exp'] as number);
        await expectInvalidToken(await get(app, token));
        expect((await get(app, mint(key))).status).toBe(200);
      } finally {
        await app.app.close();
      }
    });

    const broken: RevocationStore = {
      isRevoked: () => Promise.reject(new Error('store unreachable')),
      revoke: () => Promise.reject(new Error('store unreachable')),
    };

    it('answers 503 when the store cannot answer (fail closed by default)', async () => {
      const app = await start({ revocation: { strategy: 'shared-store', store: broken } });
      try {
        await expectUnavailable(await get(app, mint(key)));
      } finally {
        await app.app.close();
      }
    });

    it('lets the request through with revocationFailOpen: true', async () => {
      const app = await start({ revocation: { strategy: 'shared-store', store: broken }, revocationFailOpen: true });
      try {
        expect((await get(app, mint(key))).status).toBe(200);
        await expectInvalidToken(await get(app, mint(key, claims({ aud: 'https://other-api.example' }))));
      } finally {
        await app.app.close();
      }
    });

    const redisUrl = process.env['REDIS_URL'];
    (redisUrl ? it : it.skip)(
      redisUrl ? 'refuses a jti revoked in Redis (RedisRevocationStore, key shared with auth-server)' : 'refuses a jti revoked in Redis (skipped: REDIS_URL is not set)',
      async () => {
        const redis = new Redis(redisUrl as string, { maxRetriesPerRequest: 1 });
        const app = await start({ revocation: { strategy: 'shared-store', store: new RedisRevocationStore(redis) } });
        const jti = `test-${randomBytes(12).toString('hex')}`;
        try {
          const payload = claims({ jti });
          const token = mint(key, payload);
          expect((await get(app, token)).status).toBe(200);
          // What auth-server publishes on revocation: the key expires with the token.
          await redis.set(REVOKED_KEY_PREFIX + jti, '1', 'EXAT', payload['exp'] as number);
          await expectInvalidToken(await get(app, token));
        } finally {
          await redis.del(REVOKED_KEY_PREFIX + jti);
          await app.app.close();
          await redis.quit();
        }
      },
    );
  });

  describe('introspection (RFC 7662)', () => {
    const clock = systemClock();
    const inactive = new Set<string>();
    const CACHE_TTL_MS = 10_000;
    let as: HttpStub;
    let app: App;
    const introspections = () => as.requests.filter((r) => r.path === '/introspect');
    const token = () => mint(key, claims({ iss: as.url }));

    beforeAll(async () => {
      clock.install();
      as = await startStub((request, url) => {
        if (request.path === DISCOVERY) return { json: { issuer: url, introspection_endpoint: `${url}/introspect` } };
        if (request.path !== '/introspect' || request.method !== 'POST') return undefined;
        const presented = new URLSearchParams(request.body).get('token') ?? '';
        return { json: { active: !inactive.has(presented) } };
      });
      app = await fixtureApp('fastify', {
        issuer: as.url,
        audience: AUDIENCE,
        keys: local,
        revocation: { strategy: 'introspection', clientId: 'resource-api', clientSecret: 'se:cret', cacheTtlMs: CACHE_TTL_MS },
      });
    });
    afterAll(async () => {
      await app.app.close();
      await as.close();
      clock.restore();
    });

    it('asks the authorization server with client authentication (RFC 7662 s2.1, RFC 6749 s2.3.1)', async () => {
      const presented = token();
      expect((await get(app, presented)).status).toBe(200);
      const [request] = introspections();
      expect(introspections()).toHaveLength(1);
      // The client id and secret are form-encoded before base64 (the ':' of the secret becomes %3A).
      expect(request?.headers['authorization']).toBe(`Basic ${Buffer.from('resource-api:se%3Acret').toString('base64')}`);
      expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(new URLSearchParams(request?.body).get('token')).toBe(presented);
    });

    it('reuses an answer within cacheTtlMs and asks again after it', async () => {
      const presented = token();
      expect((await get(app, presented)).status).toBe(200);
      const calls = introspections().length;
      inactive.add(presented);
      expect((await get(app, presented)).status).toBe(200);
      expect(introspections()).toHaveLength(calls);
      clock.advance(CACHE_TTL_MS + 1);
      await expectInvalidToken(await get(app, presented));
      expect(introspections()).toHaveLength(calls + 1);
    });

    it('refuses a token the authorization server reports inactive', async () => {
      const presented = token();
      inactive.add(presented);
      await expectInvalidToken(await get(app, presented));
    });

    it('answers 503 when the authorization server is unreachable', async () => {
      const issuer = await deadUrl();
      const offline = await fixtureApp('fastify', {
        issuer,
        audience: AUDIENCE,
        keys: local,
        revocation: { strategy: 'introspection', clientId: 'resource-api', clientSecret: 'secret' },
      });
      try {
        await expectUnavailable(await get(offline, mint(key, claims({ iss: issuer }))));
      } finally {
        await offline.app.close();
      }
    });
  });
});

describe.each(PLATFORMS)('token in an HTTP-only cookie on %s (RFC 6750 s2, OWASP CSRF)', (platform) => {
  const key = testKey('RS256');
  const ALLOWED = 'https://app.example';
  let app: App;
  beforeAll(async () => {
    app = await fixtureApp(platform, {
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { local: [{ kid: key.kid, alg: 'RS256', key: key.publicKey }] },
      cookie: { name: 'access_token', allowedOrigins: [ALLOWED] },
    });
  });
  afterAll(() => app.app.close());

  const call = (method: string, path: string, headers: Record<string, string>) => fetch(`${app.url}${path}`, { method, headers });
  const cookie = () => ({ cookie: `theme=dark; access_token=${mint(key)}` });

  async function expectInvalidRequest(response: Response): Promise<void> {
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_request"/);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  }

  it('accepts the cookie on a GET', async () => {
    expect((await call('GET', '/me', cookie())).status).toBe(200);
  });

  it('refuses a POST with the cookie and no Origin or Referer with invalid_request', async () => {
    await expectInvalidRequest(await call('POST', '/reports', cookie()));
  });

  it('refuses a POST with the cookie from another origin, or Origin: null', async () => {
    await expectInvalidRequest(await call('POST', '/reports', { ...cookie(), origin: 'https://evil.example' }));
    await expectInvalidRequest(await call('POST', '/reports', { ...cookie(), origin: 'null' }));
  });

  it('lets a POST from an allowed Origin through authentication (then 403 for the missing scope)', async () => {
    const response = await call('POST', '/reports', { ...cookie(), origin: ALLOWED });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
    expect((await call('POST', '/reports', { ...cookie(), referer: `${ALLOWED}/page` })).status).toBe(403);
  });

  it('refuses a token in both the header and the cookie (RFC 6750 s2: one method only)', async () => {
    await expectInvalidRequest(await call('GET', '/me', { ...cookie(), authorization: `Bearer ${mint(key)}` }));
  });
});
