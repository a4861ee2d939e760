import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public } from '../decorators';
import { RequestAuthenticator } from '../request-authenticator';
import type { RequestLike } from '../transport/token-extractor';

/**
 * Requires a valid access token; sets `request.user` to the `Principal`. Usable per route
 * (`@UseGuards(JwtAuthGuard)`) or globally (`APP_GUARD`) with `@Public()` to opt out.
 *
 * It calls the module's {@link RequestAuthenticator} directly: the same check the
 * passport strategy `authkit-jwt` runs (`AuthGuard('authkit-jwt')` for apps that compose
 * passport strategies), without passport's per-request objects and closures, which cost
 * more than verifying a cached token (see the README's benchmarks). Errors are typed and
 * rendered per RFC 6750, never a bare 401.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly publicRoutes = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<RequestLike & { user?: unknown }>();
    request.user = await this.authenticator.authenticate(request);
    return true;
  }

  /** `@Public()` on the handler or its class; metadata is fixed at boot, so it is read once per handler. */
  protected isPublic(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let open = this.publicRoutes.get(handler);
    if (open === undefined) {
      open = this.reflector.getAllAndOverride(Public, [handler, context.getClass()]) === true;
      this.publicRoutes.set(handler, open);
    }
    return open;
  }
}
