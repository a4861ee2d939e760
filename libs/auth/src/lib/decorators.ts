import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from './principal';

/** Opts a route or controller out of a globally applied `JwtAuthGuard`. */
export const Public = Reflector.createDecorator<boolean>({ transform: () => true });

/** Metadata of {@link Scopes}, read by `ScopesGuard`. */
export const RequiredScopes = Reflector.createDecorator<readonly string[]>();

/** Scopes the token must carry, all of them (RFC 6750 s3.1 `insufficient_scope` otherwise). */
export const Scopes = (...scopes: string[]) => RequiredScopes(scopes);

/** Metadata of {@link Roles}, read by `RolesGuard`. */
export const RequiredRoles = Reflector.createDecorator<readonly string[]>();

/** Roles the principal needs, any one of them. */
export const Roles = (...roles: string[]) => RequiredRoles(roles);

/** Options of {@link RequireMfa}. */
export interface MfaRequirement {
  /** Step-up: the user must have authenticated within this many seconds (`auth_time`). */
  readonly maxAgeSeconds?: number;
}

/** The token's `amr` must show a second factor (RFC 8176: `otp`, `hwk`, `swk`, `mfa`). */
export const RequireMfa = Reflector.createDecorator<MfaRequirement, MfaRequirement | undefined>({
  transform: (requirement) => requirement ?? {},
});

/** The verified principal of the request (set by `JwtAuthGuard`). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined => context.switchToHttp().getRequest<{ user?: Principal }>().user,
);
