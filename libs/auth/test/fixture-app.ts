import { Controller, Get, Module, Post, UseGuards, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AuthGuard } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import {
  AuthModule,
  CurrentPrincipal,
  JwtAuthGuard,
  MfaGuard,
  Public,
  RequireMfa,
  Roles,
  RolesGuard,
  Scopes,
  ScopesGuard,
  type AuthModuleOptions,
  type Principal,
} from '../src/index';

export type Platform = 'fastify' | 'express';
export const PLATFORMS: Platform[] = ['fastify', 'express'];

@Controller()
@UseGuards(ScopesGuard, RolesGuard, MfaGuard)
class ResourceController {
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return { sub: principal.subject, client_id: principal.clientId, scopes: [...principal.scopes] };
  }

  @Get('reports')
  @Scopes('reports:read')
  reports() {
    return { reports: [] };
  }

  @Post('reports')
  @Scopes('reports:write')
  writeReport() {
    return { ok: true };
  }

  @Get('admin')
  @Roles('admin')
  @RequireMfa()
  admin() {
    return { admin: true };
  }

  @Get('step-up')
  @RequireMfa({ maxAgeSeconds: 300 })
  stepUp() {
    return { ok: true };
  }

  @Get('open')
  @Public()
  open() {
    return { open: true };
  }

  /** The same check through passport, as apps that compose passport strategies use it. */
  @Get('passport')
  @Public()
  @UseGuards(AuthGuard('authkit-jwt'))
  viaPassport(@CurrentPrincipal() principal: Principal) {
    return { sub: principal.subject };
  }
}

/** A resource server using AuthModule with a global JwtAuthGuard, on the given platform. */
export async function fixtureApp(platform: Platform, options: AuthModuleOptions): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [AuthModule.forRoot(options)],
    controllers: [ResourceController],
    providers: [{ provide: APP_GUARD, useClass: JwtAuthGuard }],
  })
  class FixtureModule {}
  const moduleRef = await Test.createTestingModule({ imports: [FixtureModule] }).compile();
  const app = moduleRef.createNestApplication(platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}
