import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { PAGE_HEADERS } from '../page';
import { cookieNames, serializeCookie, type CookieNames } from '../session/session-cookie';
import { reauthenticationPath } from '../sign-in/return-path';
import { SecurityError, type SecurityErrorCode } from './security-error';
import { messagePage } from './security.pages';

const MESSAGES: Record<Exclude<SecurityErrorCode, 'signed_out' | 'reauthentication_required'>, { title: string; text: string }> = {
  csrf_refused: { title: 'Request refused', text: 'Use the buttons on the Security page.' },
  bad_request: { title: 'Request refused', text: 'This request could not be handled. Go back and try again.' },
  conflict: { title: 'Already changed', text: 'Your two-factor settings changed in the meantime, or the setup expired. Go back and start again.' },
  rate_limited: { title: 'Too many attempts', text: 'Wait a little, then try again.' },
  unavailable: { title: 'Security settings unavailable', text: 'The sign-in server cannot be reached right now. Try again later.' },
};

/**
 * Answers a refused `/security` step: `signed_out` clears the session cookie and goes to
 * `/` (where `Sign in` is); `reauthentication_required` goes to the demo's sign-in start
 * for a new sign-in (`prompt=login`) that returns to `/security`, keeping the session
 * cookie (the new sign-in ends that session); every other code is a small page with fixed
 * text, its status and, for 429, auth-server's `Retry-After`. Any other error gets a page
 * too, never a stack or an upstream message.
 */
@Catch()
export class SecurityErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('DemoSecurity');
  private readonly cookies: CookieNames;

  constructor(@InjectAppConfig() config: AppConfig) {
    this.cookies = cookieNames(config.demo.publicUrl);
  }

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof SecurityError) return this.refused(error, reply);
    if (error instanceof HttpException && error.getStatus() < 500) {
      // Fastify's and Nest's own 4xx (a body too large, a content type it cannot read).
      this.logger.warn(`security page request refused: ${error.getStatus()}`);
      reply.status(error.getStatus()).headers(PAGE_HEADERS).send(messagePage(MESSAGES.bad_request.title, MESSAGES.bad_request.text));
      return;
    }
    this.logger.error(`security page failed: ${(error as Error)?.name ?? 'error'}`);
    reply.status(500).headers(PAGE_HEADERS).send(messagePage('Something went wrong', 'The page could not be shown. Try again later.'));
  }

  private refused(error: SecurityError, reply: FastifyReply): void {
    this.logger.warn(`security step refused: ${error.code}`);
    if (error.code === 'signed_out') {
      reply
        .header('Cache-Control', 'no-store')
        .header('Set-Cookie', serializeCookie(this.cookies.session, '', { secure: this.cookies.secure, maxAgeSeconds: 0 }))
        .redirect('/', 303);
      return;
    }
    if (error.code === 'reauthentication_required') {
      reply.header('Cache-Control', 'no-store').redirect(reauthenticationPath('/security'), 303);
      return;
    }
    const { title, text } = MESSAGES[error.code];
    reply.status(error.status).headers(PAGE_HEADERS);
    if (error.code === 'rate_limited' && error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
    reply.send(messagePage(title, text));
  }
}
