import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // NIST SP 800-38D s8.2: 96-bit random IVs
const TAG_BYTES = 16;
const HKDF_SALT = 'authkit-demo-session-store';
const HKDF_INFO = 'demo_session AES-256-GCM v1';
const VERSION = 'v1';

/**
 * Encrypts session values at rest (AES-256-GCM) so that a Redis dump or replica reveals no
 * token. The key is derived with HKDF-SHA256 (RFC 5869) from the demo's client secret, a
 * secret every demo instance already shares; rotating that secret invalidates sessions.
 * The storage key is bound as additional data: a value copied under another key fails.
 */
export class SessionCipher {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (!secret) throw new TypeError('SessionCipher needs a non-empty secret');
    this.key = Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, HKDF_INFO, KEY_BYTES));
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url. */
  encrypt(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(boundTo));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plaintext, or undefined when the value was tampered with, moved or sealed under another key. */
  decrypt(sealed: string, boundTo: string): string | undefined {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || body === undefined || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(boundTo));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
