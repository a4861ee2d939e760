import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AUDIENCE, ISSUER, mint, testKey } from '../../test/token-factory';
import { AuthConfigurationError, createRequestAuthenticator } from './auth-core';
import type { AuthModuleOptions } from './auth-options.interface';
import { AuthModule } from './auth.module';
import { CurrentPrincipal } from './decorators';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import type { Principal } from './principal';
import { RequestAuthenticator } from './request-authenticator';

const key = testKey('RS256');
const valid: AuthModuleOptions = { issuer: ISSUER, audience: AUDIENCE, keys: { local: [{ kid: key.kid, alg: 'RS256', key: key.publicKey }] } };
const without = (name: keyof AuthModuleOptions): AuthModuleOptions => {
  const rest: Record<string, unknown> = { ...valid };
  delete rest[name];
  return rest as unknown as AuthModuleOptions;
};

describe('createRequestAuthenticator option validation', () => {
  it('builds an authenticator from valid options (control)', () => {
    expect(createRequestAuthenticator(valid)).toBeInstanceOf(RequestAuthenticator);
    expect(createRequestAuthenticator({ ...valid, audience: [AUDIENCE, 'https://other.example'], algorithms: ['ES256'] })).toBeInstanceOf(RequestAuthenticator);
  });

  it.each<[string, AuthModuleOptions]>([
    ['no issuer', without('issuer')],
    ['an empty issuer', { ...valid, issuer: '' }],
    ['an issuer that is not a URL', { ...valid, issuer: 'auth.example.com' }],
    ['an issuer that is not http(s)', { ...valid, issuer: 'ftp://auth.example.com' }],
    ['no audience', without('audience')],
    ['an empty audience', { ...valid, audience: '' }],
    ['an empty audience list', { ...valid, audience: [] }],
    ['an audience list with an empty entry', { ...valid, audience: [AUDIENCE, ''] }],
    ['algorithms with none (RFC 8725 s3.1)', { ...valid, algorithms: ['none' as never] }],
    ['algorithms with none among others', { ...valid, algorithms: ['RS256', 'none' as never] }],
    ['algorithms with HS256 (RFC 8725 s3.1)', { ...valid, algorithms: ['HS256' as never] }],
    ['algorithms with HS256 among others', { ...valid, algorithms: ['ES256', 'HS256' as never] }],
    ['an empty algorithm list', { ...valid, algorithms: [] }],
    ['a cookie without allowedOrigins (CSRF defence)', { ...valid, cookie: { name: 'access_token' } as never }],
    ['a cookie with an empty allowedOrigins', { ...valid, cookie: { name: 'access_token', allowedOrigins: [] } }],
    ['a cookie without a name', { ...valid, cookie: { allowedOrigins: ['https://app.example'] } as never }],
    ['a negative clock tolerance', { ...valid, clockToleranceSeconds: -1 }],
    ['a clock tolerance above 300 s', { ...valid, clockToleranceSeconds: 301 }],
    ['a fractional clock tolerance', { ...valid, clockToleranceSeconds: 1.5 }],
  ])('refuses %s with AuthConfigurationError', (_label, options) => {
    expect(() => createRequestAuthenticator(options)).toThrow(AuthConfigurationError);
  });
});

describe('AuthModule at boot', () => {
  it('refuses to compile forRoot({})', async () => {
    await expect(Test.createTestingModule({ imports: [AuthModule.forRoot({} as never)] }).compile()).rejects.toBeInstanceOf(AuthConfigurationError);
  });

  it('refuses to compile forRootAsync with a factory that returns invalid options', async () => {
    const compiling = Test.createTestingModule({ imports: [AuthModule.forRootAsync({ useFactory: () => ({ ...valid, algorithms: ['HS256' as never] }) })] }).compile();
    await expect(compiling).rejects.toBeInstanceOf(AuthConfigurationError);
  });

  it('serves a request end to end when configured with forRootAsync', async () => {
    @Controller()
    class MeController {
      @Get('me')
      me(@CurrentPrincipal() principal: Principal) {
        return { sub: principal.subject };
      }
    }
    @Module({
      imports: [AuthModule.forRootAsync({ useFactory: async () => valid })],
      controllers: [MeController],
      providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
    })
    class AsyncModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AsyncModule] }).compile();
    const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/me`, { headers: { authorization: `Bearer ${mint(key)}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'alice' });
      expect((await fetch(`http://127.0.0.1:${port}/me`)).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});
