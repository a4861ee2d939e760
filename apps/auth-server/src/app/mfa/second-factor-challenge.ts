import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { getStorageToken, type ThrottlerStorage } from '@nestjs/throttler';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { deriveKey } from '../crypto/derived-key';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { KeyEncryption } from '../crypto/key-encryption';
import { OAuthError } from '../oauth/oauth-error';
import { clearCookie, readCookie, serializeCookie } from '../sessions/session-cookie';
import { SessionClock } from '../sessions/session-clock';

/** How long a browser has, after the password, to give its second factor: time to open the app. */
export const SECOND_FACTOR_CHALLENGE_TTL_SECONDS = 300;
const FORMAT_VERSION = 1;
const MAX_COOKIE_LENGTH = 1_024; // a challenge is about 250 characters; anything longer is not one

interface ChallengePayload {
  readonly v: number;
  /** Random id: a challenge completes once. */
  readonly n: string;
  /** Issued at, ms since the epoch: a password changed since voids it. */
  readonly i: number;
  /** The user who gave the right password. */
  readonly u: string;
  /** Expiry, ms since the epoch. */
  readonly e: number;
}

/** A live challenge: its id, its user, and when it was issued (ms). */
export interface SecondFactorChallenge {
  readonly id: string;
  readonly userId: string;
  readonly issuedAt: number;
}

/**
 * The state between a correct password and the second factor, in an encrypted, HTTP-only
 * cookie (`auth_mfa`, `__Host-auth_mfa` over https) that lives five minutes: no session
 * exists until both factors passed, so nothing that trusts sessions can see a half-signed-in
 * user. AES-256-GCM under a KEK-derived key ({@link KeyEncryption}) keeps the user id unreadable
 * and the cookie unforgeable; the browser's CSRF cookie is its associated data (it works
 * only in the browser that gave the password); it completes once and dies with a password
 * change. Guessing is limited per user by {@link SecondFactorAttempts}, however
 * many challenges are started.
 */
@Injectable()
export class SecondFactorChallenges {
  private readonly cipher: KeyEncryption;
  private readonly cookieName: string;

  constructor(
    @InjectAppConfig() private readonly config: AppConfig,
    @Inject(KeyEncryptionKey) kek: Buffer,
    private readonly clock: SessionClock,
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
  ) {
    this.cipher = new KeyEncryption(deriveKey(kek, 'authkit auth-server second-factor challenge v1'));
    this.cookieName = config.issuer.startsWith('https:') ? '__Host-auth_mfa' : 'auth_mfa';
  }

  /** The `Set-Cookie` value of a new challenge for `userId` in the browser bound by `binding`. */
  issue(userId: string, binding: string): string {
    const now = this.clock.now();
    // `i` is wall-clock time: it is compared with the password change time the database records.
    const payload: ChallengePayload = { v: FORMAT_VERSION, n: randomBytes(16).toString('base64url'), i: Date.now(), u: userId, e: now + SECOND_FACTOR_CHALLENGE_TTL_SECONDS * 1000 };
    // The browser's CSRF binding is the associated data: in another browser the cookie does not decrypt.
    const value = this.cipher.encrypt(Buffer.from(JSON.stringify(payload)), binding);
    return serializeCookie(this.config.issuer, this.cookieName, value, SECOND_FACTOR_CHALLENGE_TTL_SECONDS);
  }

  /** The live challenge of this browser, or undefined (missing, altered, expired, other browser). */
  read(cookieHeader: string | string[] | undefined, binding: string | undefined): SecondFactorChallenge | undefined {
    const value = readCookie(cookieHeader, this.cookieName);
    if (value === undefined || binding === undefined || value.length > MAX_COOKIE_LENGTH) return undefined;
    let payload: ChallengePayload;
    try {
      payload = JSON.parse(this.cipher.decrypt(value, binding).toString('utf8')) as ChallengePayload;
    } catch {
      return undefined; // altered, forged, or from another browser
    }
    const live = payload.v === FORMAT_VERSION && payload.e > this.clock.now();
    return live && typeof payload.u === 'string' && typeof payload.n === 'string' && typeof payload.i === 'number'
      ? { id: payload.n, userId: payload.u, issuedAt: payload.i }
      : undefined;
  }

  /**
   * Marks a challenge completed; false when it was completed before (a copy of the cookie
   * replayed after success). Kept in the rate-limit store (Redis when instances share it)
   * for the challenge's lifetime.
   * @throws OAuthError `temporarily_unavailable` (503) when the store cannot answer.
   */
  async complete(challenge: SecondFactorChallenge): Promise<boolean> {
    const ttlMs = SECOND_FACTOR_CHALLENGE_TTL_SECONDS * 1000;
    try {
      const hit = await this.storage.increment(`mfa:challenge:${challenge.id}`, ttlMs, 1, ttlMs, 'mfa:challenge');
      return !hit.isBlocked;
    } catch {
      throw new OAuthError('temporarily_unavailable', 'Sign-in is unavailable.');
    }
  }

  /** The `Set-Cookie` value that ends the challenge (after success). */
  clear(): string {
    return clearCookie(this.config.issuer, this.cookieName);
  }
}
