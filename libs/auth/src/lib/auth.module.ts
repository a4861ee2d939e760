import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AUTH_MODULE_OPTIONS, AuthConfigurableModule } from './auth-module-definition';
import type { AuthModuleOptions } from './auth-options.interface';
import { createRequestAuthenticator } from './auth-core';
import { BearerErrorFilter } from './bearer-error.filter';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { JwtStrategy } from './guards/jwt.strategy';
import { MfaGuard } from './guards/mfa.guard';
import { RolesGuard } from './guards/roles.guard';
import { ScopesGuard } from './guards/scopes.guard';
import { RequestAuthenticator } from './request-authenticator';

/**
 * What a resource server imports: verification of RFC 9068 access tokens, the guards and
 * decorators, and RFC 6750 error responses. Needs no database.
 *
 * @example
 * AuthModule.forRoot({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' })
 */
@Module({
  providers: [
    {
      provide: RequestAuthenticator,
      useFactory: (options: AuthModuleOptions) => createRequestAuthenticator(options),
      inject: [AUTH_MODULE_OPTIONS],
    },
    JwtStrategy,
    JwtAuthGuard,
    ScopesGuard,
    RolesGuard,
    MfaGuard,
    { provide: APP_FILTER, useClass: BearerErrorFilter },
  ],
  exports: [RequestAuthenticator, JwtAuthGuard, ScopesGuard, RolesGuard, MfaGuard, AUTH_MODULE_OPTIONS],
})
export class AuthModule extends AuthConfigurableModule {}
