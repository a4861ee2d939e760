// Attack: using a revoked access token at a resource server after a Redis outage at the
// moment of revocation (CWE-636, not failing securely). Resource servers consult Redis; a
// revocation recorded in PostgreSQL but never published there would leave the token
// accepted until its `exp`. The caller of the revocation endpoint gets a 503 and may retry,
// but a reuse detection or an admin action has nobody to retry it: auth-server must publish
// it itself once Redis is back (RFC 7009 s2: the revocation takes effect; RFC 9700 s4.14.2
// for the grants it ends). The revocation list is driven directly here: with Redis away,
// the endpoints' own rate limiting and sessions, also in Redis, already answer 503 first.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { describeEachDatabase, TcpProxy } from '@authkit/testing';
import { REVOKED_KEY_PREFIX, RevocationList } from '../src/app/oauth/revocation-list';
import { GrantRevocation } from '../src/app/refresh/grant-revocation.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';
import { createUser, issueCode, postForm, registerClient } from './user-grants.fixture';

const REDIS_URL = process.env['REDIS_URL'];
const REDIRECT = 'https://app.publication.test/callback';
const WAIT_MS = 20_000; // Redis reconnects within ~2 s; the republisher runs every 5 s

/** The suite needs a Redis to take away and give back; without REDIS_URL it is skipped. */
const itWithRedis = REDIS_URL ? it : it.skip;

describeEachDatabase('revocations Redis missed are published once it is back', (database) => {
  let proxy: TcpProxy;
  let server: RunningAuthServer;
  let redis: Redis;
  const secrets: Record<string, string> = {};
  const auth = (id: string) => ({ id, secret: secrets[id]! });
  const jtiOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
  const published = async (jti: string) => (await redis.exists(`${REVOKED_KEY_PREFIX}${jti}`)) === 1;
  const unpublished = async (jti: string) =>
    ((await server.app.get(DataSource).query('SELECT published FROM revoked_tokens WHERE jti = $1', [jti])) as { published: boolean }[])[0]?.published === false;

  async function eventually(check: () => Promise<boolean>): Promise<boolean> {
    for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      if (await check()) return true;
    }
    return check();
  }

  beforeAll(async () => {
    if (!REDIS_URL) return;
    const target = new URL(REDIS_URL!);
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
    server = await startAuthServer(database(), { REDIS_URL: proxy.proxiedUrl(REDIS_URL!) });
    redis = new Redis(REDIS_URL!);
    secrets['svc'] = (await registerClient(server, { client_id: 'svc', grant_types: ['client_credentials'], scope: 'demo:read' }))!;
    secrets['web'] = (await registerClient(server, {
      client_id: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [REDIRECT],
      scope: 'openid offline_access',
    }))!;
  });
  afterEach(() => proxy?.restore());
  afterAll(async () => {
    await server?.close();
    await proxy?.stop();
    redis?.disconnect();
  });

  itWithRedis('a revocation made while Redis is away fails with 503, and is published when Redis is back', async () => {
    const issued = await postForm(server, '/oauth2/token', { grant_type: 'client_credentials' }, auth('svc'));
    const jti = jtiOf(issued.body['access_token'] as string);
    proxy.cut();
    const exp = Math.floor(Date.now() / 1000) + 600;
    await expect(server.app.get(RevocationList).revoke(jti, 'svc', exp)).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    expect(await unpublished(jti)).toBe(true);
    expect(await published(jti)).toBe(false);

    proxy.restore();
    expect(await eventually(() => published(jti))).toBe(true);
    expect(await unpublished(jti)).toBe(false);
  }, WAIT_MS + 10_000);

  itWithRedis("a grant's access token revoked during the outage by a reuse detection (nobody retries) reaches Redis", async () => {
    const userId = await createUser(server, `publication-${randomUUID()}@example.test`);
    const code = await issueCode(server, { clientId: 'web', redirectUri: REDIRECT, userId, scope: 'openid offline_access', nonce: 'n' });
    const exchanged = await postForm(
      server,
      '/oauth2/token',
      { grant_type: 'authorization_code', code: code.code, redirect_uri: code.redirectUri, code_verifier: code.verifier },
      auth('web'),
    );
    const jti = jtiOf(exchanged.body['access_token'] as string);
    const [{ family_id: familyId }] = (await server.app.get(DataSource).query('SELECT family_id FROM refresh_tokens WHERE access_jti = $1', [jti])) as { family_id: string }[];
    proxy.cut();
    // Revoking a grant does not fail on Redis: the database is the record, Redis is told later.
    await expect(server.app.get(GrantRevocation).revokeFamily(familyId!)).resolves.toMatchObject({ accessTokens: 1 });
    expect(await unpublished(jti)).toBe(true);

    proxy.restore();
    expect(await eventually(() => published(jti))).toBe(true);
  }, WAIT_MS + 10_000);
});
