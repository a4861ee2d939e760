import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deriveKey } from '../derive-key';
import { MfaError } from '../error-codes';

const FORMAT_VERSION = 'v1';
const HKDF_INFO = 'authkit mfa totp secret v1';
const IV_BYTES = 12; // NIST SP 800-38D s8.2: 96-bit IVs; random ones are safe for 2^32 encryptions per key (s8.3)
const TAG_BYTES = 16; // the full GCM tag; a shorter one would weaken the authentication (SP 800-38D s5.2.1.2)
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Encrypts TOTP secrets at rest (RFC 4226 s7.5: shared secrets are stored protected) with
 * AES-256-GCM under a key derived from the KEK by HKDF. The additional authenticated data
 * is `totp:<userId>`, so a sealed secret opens only for its own user: a row copied onto
 * another account does not decrypt.
 *
 * Sealed form: `v1.<iv>.<ciphertext>.<tag>`, each part base64url without padding.
 *
 * @example
 * ```ts
 * const cipher = new TotpSecretCipher(kek);
 * const sealed = cipher.encrypt(secret, user.id); // store this
 * const secret = cipher.decrypt(sealed, user.id);
 * ```
 */
export class TotpSecretCipher {
  private readonly key: Buffer;

  /** @throws TypeError when `kek` is not 32 bytes. */
  constructor(kek: Buffer) {
    this.key = deriveKey(kek, HKDF_INFO);
  }

  /**
   * Seals `secret` for `userId`, with a fresh random IV: sealing twice gives two different strings.
   * @throws TypeError when `userId` is empty.
   */
  encrypt(secret: string, userId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(userId));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [FORMAT_VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /**
   * Opens a sealed secret for `userId`.
   * @throws MfaError `secret_unreadable` when the format or version is wrong, the string was
   *   altered, or it was sealed for another user or under another KEK. The message names
   *   neither the secret nor the ciphertext.
   */
  decrypt(sealed: string, userId: string): string {
    try {
      const parts = sealed.split('.');
      if (parts.length !== 4 || parts[0] !== FORMAT_VERSION) throw new Error('format');
      const [iv, ciphertext, tag] = parts.slice(1).map(decodeStrict);
      if (!isBytes(iv, IV_BYTES) || !isBytes(tag, TAG_BYTES) || !ciphertext) throw new Error('format');
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(userId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // Whatever failed (format, tag, user), the caller learns one thing; nothing of the input is echoed.
      throw new MfaError('secret_unreadable');
    }
  }
}

function aad(userId: string): Buffer {
  if (typeof userId !== 'string' || userId === '') throw new TypeError('a TOTP secret is bound to a non-empty user id');
  return Buffer.from(`totp:${userId}`, 'utf8');
}

/** base64url, refusing anything that does not re-encode to itself (Node's decoder skips stray characters). */
function decodeStrict(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function isBytes(value: Buffer | undefined, length: number): value is Buffer {
  return Buffer.isBuffer(value) && value.length === length;
}
