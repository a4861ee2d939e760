import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { page, PAGE_HEADERS } from '../page';
import { SignInError } from './sign-in-error';

const MESSAGES: Record<SignInError['code'], { title: string; text: string }> = {
  login_expired: { title: 'Sign-in failed', text: 'This sign-in expired or was already completed.' },
  state_mismatch: { title: 'Sign-in failed', text: 'The answer of the sign-in server does not belong to this sign-in.' },
  authorization_failed: { title: 'Sign-in failed', text: 'The sign-in server did not sign you in.' },
  exchange_failed: { title: 'Sign-in failed', text: 'The sign-in could not be completed.' },
  issuer_unavailable: { title: 'Sign-in unavailable', text: 'The sign-in server cannot be reached right now.' },
  csrf_refused: { title: 'Sign-out refused', text: 'Sign out with the button on the home page.' },
};

/**
 * Renders a {@link SignInError} as a small page with a "Try again" link: fixed text per
 * code, so nothing the provider or the request said reaches the HTML.
 */
@Catch(SignInError)
export class SignInErrorFilter implements ExceptionFilter<SignInError> {
  private readonly logger = new Logger('DemoSignIn');

  catch(error: SignInError, host: ArgumentsHost): void {
    this.logger.warn(`sign-in step refused: ${error.code}`);
    const { title, text } = MESSAGES[error.code];
    const retry = error.code === 'csrf_refused' ? '<a href="/">Home</a>' : '<a class="button" href="/auth/login">Try again</a>';
    host
      .switchToHttp()
      .getResponse<FastifyReply>()
      .status(error.status)
      .headers(PAGE_HEADERS)
      .send(page(title, `<h1>${title}</h1>\n<p>${text}</p>\n<p>${retry}</p>`));
  }
}
