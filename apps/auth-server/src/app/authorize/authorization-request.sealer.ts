import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { AuthorizationClock } from './authorization-clock';
import { AuthorizationPageError } from './authorization-errors';
import type { AuthorizationRequest } from './authorization-request';
import { deriveKey } from '../crypto/derived-key';

const SEALED_REQUEST_TTL_SECONDS = 1_800; // how long a sign-in or consent form stays usable
const FORMAT_VERSION = 1;

interface SealedPayload {
  readonly v: number;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  readonly r: AuthorizationRequest;
}

/**
 * Carries a validated authorization request through the sign-in and consent forms as a
 * hidden field: JSON, authenticated with HMAC-SHA256 under a key derived from the KEK
 * (HKDF, RFC 5869), expiring after {@link SEALED_REQUEST_TTL_SECONDS}. The forms need no
 * server-side state, and a user cannot alter what was validated (scope, redirect URI,
 * PKCE challenge, or the proof of a fresh sign-in). Its content came from the request URL,
 * so it is authenticated, not encrypted.
 */
@Injectable()
export class AuthorizationRequestSealer {
  private readonly key: Buffer;

  constructor(
    @Inject(KeyEncryptionKey) kek: Buffer,
    private readonly clock: AuthorizationClock,
  ) {
    this.key = deriveKey(kek, 'authkit auth-server authorization-request v1');
  }

  /** The sealed form of `request`, safe to put in a hidden input. */
  seal(request: AuthorizationRequest): string {
    const payload: SealedPayload = { v: FORMAT_VERSION, exp: this.clock.nowSeconds() + SEALED_REQUEST_TTL_SECONDS, r: request };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /**
   * The request a sealed value carries.
   * @throws AuthorizationPageError `request_expired` when it is missing, altered or expired.
   */
  unseal(sealed: string | undefined): AuthorizationRequest {
    const expired = () => new AuthorizationPageError('request_expired', 'This sign-in form has expired. Go back to the application and start again.');
    const [body, mac, extra] = (sealed ?? '').split('.');
    if (!body || !mac || extra !== undefined) throw expired();
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw expired();
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SealedPayload;
    if (payload.v !== FORMAT_VERSION || !(payload.exp > this.clock.nowSeconds())) throw expired();
    return payload.r;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
