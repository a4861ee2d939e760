import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { CurrentPrincipal, JwtAuthGuard, MfaGuard, RequireMfa, Roles, RolesGuard, Scopes, ScopesGuard, type Principal } from '@authkit/auth';

/**
 * The demo's resource API, protected only by `@authkit/auth`: no authentication code of
 * its own. Accepts a Bearer token or the `demo_session` cookie (resolved to the session's access token).
 */
@Controller('api')
@UseGuards(JwtAuthGuard, ScopesGuard, RolesGuard, MfaGuard)
export class ApiController {
  /** Any valid access token. */
  @Get('me')
  @Header('Cache-Control', 'no-store')
  me(@CurrentPrincipal() principal: Principal) {
    return {
      sub: principal.subject,
      client_id: principal.clientId,
      scope: [...principal.scopes].join(' '),
      roles: principal.roles,
      amr: principal.amr,
    };
  }

  /** Scope `demo:read`. */
  @Get('reports')
  @Scopes('demo:read')
  @Header('Cache-Control', 'no-store')
  reports() {
    return { reports: [{ id: 'r-2026-11', title: 'Sign-ins this month', status: 'ready' }] };
  }

  /** Role `admin` and a second factor in `amr`. */
  @Get('admin/stats')
  @Roles('admin')
  @RequireMfa()
  @Header('Cache-Control', 'no-store')
  stats() {
    return { uptime_seconds: Math.round(process.uptime()), memory_rss_bytes: process.memoryUsage().rss };
  }
}
