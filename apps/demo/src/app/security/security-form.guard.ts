import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { cookieNames } from '../session/session-cookie';
import { SessionService, type SessionView } from '../session/session.service';
import { SecurityError } from './security-error';
import { formField, liveSession, sessionIdOf } from './security-form';

/**
 * The CSRF defences of every `/security` form (OWASP CSRF cheat sheet, CWE-352), in order:
 * the request's `Origin` is the demo's own; there is a live session (else `signed_out`: back
 * to `/`); the form's `csrf` field is that session's synchronizer token.
 */
@Injectable()
export class SecurityFormGuard implements CanActivate {
  private readonly ownOrigin: string;
  private readonly sessionCookie: string;

  constructor(
    @InjectAppConfig() config: AppConfig,
    private readonly sessions: SessionService,
  ) {
    this.ownOrigin = new URL(config.demo.publicUrl).origin;
    this.sessionCookie = cookieNames(config.demo.publicUrl).session;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    this.assertSameOrigin(request.headers.origin);
    const { session } = await liveSession(this.sessions, sessionIdOf(request, this.sessionCookie));
    assertCsrfToken(session, formField(request.body, 'csrf'));
    return true;
  }

  /** Browsers send `Origin` on every POST; a missing, opaque (`null`) or foreign one is refused. */
  protected assertSameOrigin(origin: string | string[] | undefined): void {
    if (origin !== this.ownOrigin) throw new SecurityError('csrf_refused');
  }
}

/** The synchronizer token, compared in constant time. */
function assertCsrfToken(session: SessionView, candidate: string | undefined): void {
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(candidate ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new SecurityError('csrf_refused');
}
