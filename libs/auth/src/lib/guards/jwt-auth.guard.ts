import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { Public } from '../decorators';
import { BearerTokenError } from '../error-codes';
import type { Principal } from '../principal';
import { RequestAuthenticator } from '../request-authenticator';
import { AUTHKIT_JWT_STRATEGY, type AuthkitAuthenticateOptions } from './jwt.strategy';

/**
 * Requires a valid access token; sets `request.user` to the {@link Principal}. Usable per
 * route (`@UseGuards(JwtAuthGuard)`) or globally (`APP_GUARD`) with `@Public()` to opt out.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(AUTHKIT_JWT_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (this.isPublic(context)) return true;
    return super.canActivate(context);
  }

  /**
   * Hands the strategy this module's authenticator. Passport keeps one strategy registry per
   * process, so with two `AuthModule`s (two apps, or tests) the strategy registered last
   * would otherwise verify every token with its own issuer, audience, keys and clock.
   */
  override getAuthenticateOptions(): AuthkitAuthenticateOptions {
    return { authenticator: this.authenticator };
  }

  /** Passes the strategy's typed error through instead of a bare 401. */
  override handleRequest<T = Principal>(error: unknown, principal: T | false): T {
    if (error) throw error;
    if (!principal) throw new BearerTokenError(undefined);
    return principal;
  }

  protected isPublic(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride(Public, [context.getHandler(), context.getClass()]) === true;
  }
}
