import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';
import { RequestAuthenticator } from '../request-authenticator';
import type { RequestLike } from '../transport/token-extractor';

/** Name under which the strategy is registered with passport. */
export const AUTHKIT_JWT_STRATEGY = 'authkit-jwt';

/** What `JwtAuthGuard` passes to `passport.authenticate`: the authenticator of its own module. */
export interface AuthkitAuthenticateOptions {
  readonly authenticator: RequestAuthenticator;
}

/** A passport strategy whose whole work is {@link RequestAuthenticator.authenticate}. */
class AuthkitPassportStrategy extends Strategy {
  constructor(private readonly authenticator: RequestAuthenticator) {
    super();
  }

  override authenticate(request: RequestLike, options?: Partial<AuthkitAuthenticateOptions>): void {
    // The registry entry may belong to another AuthModule: prefer the guard's own authenticator.
    (options?.authenticator ?? this.authenticator).authenticate(request).then(
      (principal) => this.success(principal),
      (error: unknown) => this.error(error as Error),
    );
  }
}

/**
 * Registers the strategy through `@nestjs/passport` for `AuthGuard('authkit-jwt')`.
 * Failures reach the guard as typed errors (never passport's bare 401), rendered per
 * RFC 6750. `JwtAuthGuard` runs the same check without passport's per-request cost.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(AuthkitPassportStrategy, AUTHKIT_JWT_STRATEGY) {
  constructor(@Inject(RequestAuthenticator) authenticator: RequestAuthenticator) {
    super(authenticator);
  }

  /** Unused: the strategy reports the principal itself. Required by the mixin's type. */
  validate(principal: unknown): unknown {
    return principal;
  }
}
