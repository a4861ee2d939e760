import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { EndSessionError } from './end-session-errors';
import { deriveKey } from '../crypto/derived-key';

/**
 * CSRF token of the "Sign out?" confirmation form (OWASP ASVS 5.0 V3.5.1): an HMAC of the
 * session id under a key derived from the KEK, like the consent form's token but with its
 * own key, so a consent token never confirms a sign-out. Only the session shown the page
 * can confirm: a foreign page cannot sign the user out (logout CSRF, CWE-352).
 */
@Injectable()
export class LogoutCsrfTokens {
  private readonly key: Buffer;

  constructor(@Inject(KeyEncryptionKey) kek: Buffer) {
    this.key = deriveKey(kek, 'authkit auth-server logout csrf v1');
  }

  /** The confirmation form's token for a session. */
  token(sessionId: string): string {
    return createHmac('sha256', this.key).update(`logout\0${sessionId}`).digest('base64url');
  }

  /** @throws EndSessionError `invalid_csrf_token` (403) unless `given` belongs to this session (constant-time compare). */
  assertToken(sessionId: string, given: string | undefined): void {
    const expected = Buffer.from(this.token(sessionId));
    const candidate = Buffer.from(given ?? '');
    if (expected.length !== candidate.length || !timingSafeEqual(expected, candidate)) {
      throw new EndSessionError('invalid_csrf_token', 'This sign-out was not confirmed from the sign-out page. Go back to the application and try again.', HttpStatus.FORBIDDEN);
    }
  }
}
