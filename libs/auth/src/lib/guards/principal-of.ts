import type { ExecutionContext } from '@nestjs/common';
import { BearerTokenError } from '../error-codes';
import type { Principal } from '../principal';

/** The principal `JwtAuthGuard` set; a route without it is a wiring mistake, refused as unauthenticated. */
export function principalOf(context: ExecutionContext): Principal {
  const principal = context.switchToHttp().getRequest<{ user?: Principal }>().user;
  if (!principal) throw new BearerTokenError(undefined);
  return principal;
}
