import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { clearCookie, readCookie, serializeCookie } from '../sessions/session-cookie';
import { SessionClock } from '../sessions/session-clock';

/** How long a browser has, after the password, to give its second factor: time to open the app. */
export const SECOND_FACTOR_CHALLENGE_TTL_SECONDS = 300;
const FORMAT_VERSION = 1;
const IV_BYTES = 12; // AES-GCM's 96-bit nonce (NIST SP 800-38D s8.2)

interface ChallengePayload {
  readonly v: number;
  /** The user who gave the right password. */
  readonly u: string;
  /** Expiry, ms since the epoch. */
  readonly e: number;
  /** Hash of the browser's CSRF binding: the challenge works only in the browser that signed in. */
  readonly b: string;
}

/**
 * The state between a correct password and the second factor, in an encrypted, HTTP-only
 * cookie (`auth_mfa`, `__Host-auth_mfa` over https) that lives five minutes: no session
 * exists until both factors passed, so nothing that trusts sessions can see a half-signed-in
 * user. AES-256-GCM under a KEK-derived key keeps the user id unreadable and the cookie
 * unforgeable; it is bound to the browser's CSRF cookie. Guessing is limited per user by
 * {@link SecondFactorAttempts}, however many challenges are started.
 */
@Injectable()
export class SecondFactorChallenges {
  private readonly key: Buffer;
  private readonly cookieName: string;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    @Inject(KeyEncryptionKey) kek: Buffer,
    private readonly clock: SessionClock,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'authkit auth-server second-factor challenge v1', 32));
    this.cookieName = config.issuer.startsWith('https:') ? '__Host-auth_mfa' : 'auth_mfa';
  }

  /** The `Set-Cookie` value of a new challenge for `userId` in the browser bound by `binding`. */
  issue(userId: string, binding: string): string {
    const payload: ChallengePayload = { v: FORMAT_VERSION, u: userId, e: this.clock.now() + SECOND_FACTOR_CHALLENGE_TTL_SECONDS * 1000, b: bindingHash(binding) };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    const value = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.');
    return serializeCookie(this.config.issuer, this.cookieName, value, SECOND_FACTOR_CHALLENGE_TTL_SECONDS);
  }

  /** The user a live challenge of this browser names, or undefined (missing, altered, expired, other browser). */
  userOf(cookieHeader: string | string[] | undefined, binding: string | undefined): string | undefined {
    const value = readCookie(cookieHeader, this.cookieName);
    if (value === undefined || binding === undefined || value.length > 1_024) return undefined;
    const [iv, ciphertext, tag, extra] = value.split('.').map((part) => Buffer.from(part, 'base64url'));
    if (!iv || !ciphertext || !tag || extra !== undefined || iv.length !== IV_BYTES || tag.length !== 16) return undefined;
    let payload: ChallengePayload;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAuthTag(tag);
      payload = JSON.parse(Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')) as ChallengePayload;
    } catch {
      return undefined;
    }
    const live = payload.v === FORMAT_VERSION && payload.e > this.clock.now() && payload.b === bindingHash(binding);
    return live && typeof payload.u === 'string' ? payload.u : undefined;
  }

  /** The `Set-Cookie` value that ends the challenge (after success). */
  clear(): string {
    return clearCookie(this.config.issuer, this.cookieName);
  }
}

function bindingHash(binding: string): string {
  return createHash('sha256').update(binding).digest('base64url').slice(0, 22);
}
