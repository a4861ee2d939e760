import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { KeyEncryptionKey } from '../crypto/kek.token';
import { Inject } from '@nestjs/common';
import { deriveKey } from '../crypto/derived-key';

const SECRET_BYTES = 32; // 256 bits, as RFC 6749 s10.10 and RFC 9700 s2.5 ask of generated credentials

/**
 * Client secrets are stored as HMAC-SHA-256 under a pepper derived from `AUTH_KEK`
 * (HKDF, RFC 5869), never in clear. A slow password hash (argon2) protects low-entropy
 * passwords; these secrets are 256-bit random values (or at least 32 characters from a
 * bootstrap file), so a slow hash would only slow the token endpoint. The pepper keeps a
 * stolen table useless on its own, and comparison is constant-time.
 */
@Injectable()
export class ClientSecretHasher {
  private readonly pepper: Buffer;
  private readonly decoy: string;

  constructor(@Inject(KeyEncryptionKey) kek: Buffer) {
    this.pepper = deriveKey(kek, 'authkit client-secret pepper v1');
    this.decoy = this.hash(randomBytes(SECRET_BYTES).toString('base64url'));
  }

  /** A new secret: 256 random bits, base64url. */
  generate(): string {
    return randomBytes(SECRET_BYTES).toString('base64url');
  }

  hash(secret: string): string {
    return createHmac('sha256', this.pepper).update(secret, 'utf8').digest('hex');
  }

  /**
   * True when `secret` matches one of `hashes`. Every candidate is compared (no early exit),
   * and an unknown client is checked against a decoy, so timing tells nothing.
   */
  matches(secret: string, hashes: readonly string[]): boolean {
    const presented = Buffer.from(this.hash(secret), 'hex');
    let match = false;
    for (const hash of hashes.length ? hashes : [this.decoy]) {
      match = timingSafeEqual(presented, Buffer.from(hash, 'hex')) || match;
    }
    return match && hashes.length > 0;
  }
}
