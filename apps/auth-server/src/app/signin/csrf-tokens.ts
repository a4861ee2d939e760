import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { AuthorizationPageError } from '../authorize/authorization-errors';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { readCookie, serializeCookie } from '../sessions/session-cookie';
import { deriveKey } from '../crypto/derived-key';

const BINDING_BYTES = 32; // 256 bits of randomness in the browser's CSRF cookie
const BINDING_VALUE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes in base64url

/** The browser binding the login form's CSRF token is tied to, and the cookie to set if it is new. */
export interface CsrfBinding {
  readonly value: string;
  readonly setCookie: string | undefined;
}

/**
 * CSRF tokens of the sign-in forms (OWASP ASVS 5.0 V3.5.1; RFC 6749 s10.12):
 * - login form: HMAC of a random pre-session cookie (`auth_csrf`, `__Host-auth_csrf` over
 *   https; HTTP-only, SameSite=Lax) under a key derived from the KEK, so an attacker cannot
 *   sign a victim's browser into the attacker's account (login CSRF) without reading that
 *   browser's cookie;
 * - consent form: HMAC of the session id, so consent is given only by the session shown the page.
 * Tokens are compared in constant time; a missing or wrong token is a 403 page.
 */
@Injectable()
export class CsrfTokens {
  private readonly key: Buffer;
  private readonly cookieName: string;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    @Inject(KeyEncryptionKey) kek: Buffer,
  ) {
    this.key = deriveKey(kek, 'authkit auth-server csrf v1');
    this.cookieName = config.issuer.startsWith('https:') ? '__Host-auth_csrf' : 'auth_csrf';
  }

  /** The browser's CSRF cookie value, or a new one with the `Set-Cookie` that installs it. */
  binding(cookieHeader: string | string[] | undefined): CsrfBinding {
    const current = this.currentBinding(cookieHeader);
    if (current !== undefined) return { value: current, setCookie: undefined };
    const value = randomBytes(BINDING_BYTES).toString('base64url');
    return { value, setCookie: serializeCookie(this.config.issuer, this.cookieName, value) };
  }

  /** The browser's current CSRF binding, when its cookie is present and well formed. */
  currentBinding(cookieHeader: string | string[] | undefined): string | undefined {
    const value = readCookie(cookieHeader, this.cookieName);
    return value !== undefined && BINDING_VALUE.test(value) ? value : undefined;
  }

  /** The login form's token for a browser binding. */
  loginToken(binding: string): string {
    return this.mac(`login\0${binding}`);
  }

  /** @throws AuthorizationPageError `invalid_csrf_token` (403) unless `token` belongs to this browser. */
  assertLoginToken(cookieHeader: string | string[] | undefined, token: string | undefined): void {
    const binding = this.currentBinding(cookieHeader);
    if (binding === undefined || !this.matches(this.loginToken(binding), token)) throw this.refusal();
  }

  /** The consent form's token for a session. */
  consentToken(sessionId: string): string {
    return this.mac(`consent\0${sessionId}`);
  }

  /** @throws AuthorizationPageError `invalid_csrf_token` (403) unless `token` belongs to this session. */
  assertConsentToken(sessionId: string, token: string | undefined): void {
    if (!this.matches(this.consentToken(sessionId), token)) throw this.refusal();
  }

  private mac(input: string): string {
    return createHmac('sha256', this.key).update(input).digest('base64url');
  }

  private matches(expected: string, given: string | undefined): boolean {
    if (given === undefined) return false;
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private refusal(): AuthorizationPageError {
    return new AuthorizationPageError('invalid_csrf_token', 'This form was not submitted from the sign-in page. Go back to the application and start again.', HttpStatus.FORBIDDEN);
  }
}
