import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const IV_BYTES = 12; // 96-bit nonce, as NIST SP 800-38D recommends for GCM
const TAG_BYTES = 16;
const VERSION = 'v1';

/**
 * Encrypts secrets: private signing keys at rest under `AUTH_KEK`, and the second-factor
 * challenge cookie under a key derived from it (TOTP secrets use `@authkit/mfa`'s
 * `TotpSecretCipher`, the same construction). AES-256-GCM, a fresh random nonce per
 * message, and associated data that binds each ciphertext to its purpose and owner, so a
 * ciphertext moved to another row (or browser) does not decrypt.
 */
export class KeyEncryption {
  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new TypeError('the key-encryption key must be 32 bytes');
  }

  /** Returns `v1.<nonce>.<ciphertext>.<tag>` (base64url parts). */
  encrypt(plaintext: Buffer, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** @throws Error when the ciphertext was altered, moved, or made with another key. */
  decrypt(sealed: string, associatedData: string): Buffer {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) throw new Error('malformed ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.kek, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  }
}
