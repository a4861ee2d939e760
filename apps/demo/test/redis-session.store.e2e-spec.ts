import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { SessionCipher } from '../src/app/session/session-cipher';
import { RedisSessionStore } from '../src/app/session/redis-session.store';

// The shared session store on a real Redis (REDIS_URL); skipped without one. Each run uses
// its own key prefix and deletes only its own keys.
const redisUrl = process.env['REDIS_URL'];

(redisUrl ? describe : describe.skip)('RedisSessionStore', () => {
  let redis: Redis;
  const prefix = `authkit:test:demo-store:${randomBytes(6).toString('hex')}:`;
  const cipher = new SessionCipher('c'.repeat(40));

  beforeAll(() => {
    redis = new Redis(redisUrl!, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('stores values encrypted at rest and reads them back', async () => {
    const store = new RedisSessionStore(redis, cipher, prefix);
    await store.set('session:1', '{"accessToken":"secret-token-value"}', 60_000);
    const raw = (await redis.get(`${prefix}session:1`))!;
    expect(raw).toMatch(/^v1\./);
    expect(raw).not.toContain('secret-token-value');
    expect(await store.get('session:1')).toBe('{"accessToken":"secret-token-value"}');
    expect(await redis.pttl(`${prefix}session:1`)).toBeGreaterThan(50_000);
  });

  it('expires values with Redis', async () => {
    const store = new RedisSessionStore(redis, cipher, prefix);
    await store.set('short', 'x', 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.get('short')).toBeUndefined();
  });

  // Two instances racing with one callback: GETDEL lets exactly one take the pending sign-in.
  it('hands a value out once through take, across connections', async () => {
    const other = new Redis(redisUrl!, { maxRetriesPerRequest: 1 });
    try {
      const a = new RedisSessionStore(redis, cipher, prefix);
      const b = new RedisSessionStore(other, cipher, prefix);
      await a.set('login:1', 'pending', 60_000);
      const results = await Promise.all([a.take('login:1'), b.take('login:1')]);
      expect(results.filter((r) => r === 'pending')).toHaveLength(1);
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
    } finally {
      await other.quit();
    }
  });

  // CWE-353: a value copied under another session's key does not open there.
  it('refuses a value copied under another key (CWE-353)', async () => {
    const store = new RedisSessionStore(redis, cipher, prefix);
    await store.set('session:victim', 'victim-record', 60_000);
    await redis.set(`${prefix}session:attacker`, (await redis.get(`${prefix}session:victim`))!);
    expect(await store.get('session:attacker')).toBeUndefined();
  });

  it('rejects when Redis cannot answer, so callers fail closed', async () => {
    const down = new Redis('redis://127.0.0.1:9', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    await expect(new RedisSessionStore(down, cipher, prefix).get('x')).rejects.toThrow();
    down.disconnect();
  });
});
