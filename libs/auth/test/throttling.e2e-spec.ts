// Attack: online guessing of passwords, client secrets and TOTP codes (OWASP ASVS 5.0
// V6.3.1; RFC 6238 s5.2), and evading limits by spoofing X-Forwarded-For (RFC 7239 s8.3).
import { Body, Controller, Module, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { AuthThrottle, AuthThrottlerGuard, AuthThrottlerModule, type AuthThrottlerOptions } from '../src/index';
import { PLATFORMS, type Platform } from './fixture-app';

@Controller()
@UseGuards(AuthThrottlerGuard)
class LoginController {
  @Post('login')
  @AuthThrottle('login')
  login(@Body() _body: unknown) {
    return { ok: true };
  }

  @Post('free')
  free() {
    return { ok: true };
  }
}

async function start(platform: Platform, options: AuthThrottlerOptions): Promise<{ app: INestApplication; post: (path: string, body: object, headers?: Record<string, string>) => Promise<Response> }> {
  @Module({ imports: [AuthThrottlerModule.forRoot(options)], controllers: [LoginController] })
  class ThrottledModule {}
  const moduleRef = await Test.createTestingModule({ imports: [ThrottledModule] }).compile();
  const app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const post = (path: string, body: object, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { app, post };
}

const presets = (perIp: number, perAccount: number): AuthThrottlerOptions['presets'] => ({
  login: { perIp: { limit: perIp, ttlMs: 60_000 }, perAccount: { limit: perAccount, ttlMs: 60_000 } },
});

describe.each(PLATFORMS)('AuthThrottlerGuard on %s', (platform) => {
  it('answers 429 too_many_requests with Retry-After once the per-address limit is spent', async () => {
    const { app, post } = await start(platform, { presets: presets(3, 100) });
    try {
      for (let i = 0; i < 3; i++) expect((await post('/login', { email: `u${i}@example.com` })).status).not.toBe(429);
      const limited = await post('/login', { email: 'u9@example.com' });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await limited.json()).toMatchObject({ error: 'too_many_requests' });
      expect((await post('/free', {})).status).not.toBe(429); // routes without a preset are not limited
    } finally {
      await app.close();
    }
  });

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const { app, post } = await start(platform, { presets: presets(2, 100) });
    try {
      await post('/login', {}, { 'x-forwarded-for': '198.51.100.1' });
      await post('/login', {}, { 'x-forwarded-for': '198.51.100.2' });
      expect((await post('/login', {}, { 'x-forwarded-for': '198.51.100.3' })).status).toBe(429);
    } finally {
      await app.close();
    }
  });

  it('limits an account across addresses, and counts IPv6 per /64, behind a trusted proxy', async () => {
    const { app, post } = await start(platform, { trustProxy: ['127.0.0.1', '::1'], presets: presets(2, 3) });
    try {
      // Per account: three different addresses, one account.
      for (let i = 1; i <= 3; i++) expect((await post('/login', { email: 'Victim@Example.com' }, { 'x-forwarded-for': `203.0.113.${i}` })).status).not.toBe(429);
      expect((await post('/login', { email: 'victim@example.com ' }, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
      // Per /64: two addresses of one IPv6 subnet share a counter.
      expect((await post('/login', {}, { 'x-forwarded-for': '2001:db8:1:2::1' })).status).not.toBe(429);
      expect((await post('/login', {}, { 'x-forwarded-for': '2001:db8:1:2:ffff::7' })).status).not.toBe(429);
      expect((await post('/login', {}, { 'x-forwarded-for': '2001:db8:1:2::99' })).status).toBe(429);
      expect((await post('/login', {}, { 'x-forwarded-for': '2001:db8:1:3::1' })).status).not.toBe(429);
    } finally {
      await app.close();
    }
  });
});

const redisUrl = process.env['REDIS_URL'];
(redisUrl ? describe : describe.skip)('AuthThrottlerGuard with Redis storage (REDIS_URL)', () => {
  it('shares counters between two instances', async () => {
    const redis = new Redis(redisUrl!, { keyPrefix: `authkit-test-${Date.now()}-` });
    const a = await start('fastify', { redis, presets: presets(3, 100) });
    const b = await start('fastify', { redis, presets: presets(3, 100) });
    try {
      await a.post('/login', {});
      await b.post('/login', {});
      await a.post('/login', {});
      expect((await b.post('/login', {})).status).toBe(429);
    } finally {
      await a.app.close();
      await b.app.close();
      redis.disconnect();
    }
  });

  it('refuses with 503 when the store cannot answer (fail closed)', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const { app, post } = await start('fastify', { redis, presets: presets(3, 100) });
    try {
      const response = await post('/login', {});
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await app.close();
      redis.disconnect();
    }
  });
});
