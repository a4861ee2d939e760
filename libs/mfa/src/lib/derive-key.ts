import { hkdfSync } from 'node:crypto';

/** Size of the key-encryption key (`AUTH_KEK`) and of every key derived from it, in bytes. */
export const KEK_BYTES = 32;

/**
 * A 32-byte key for one purpose, derived from the KEK with HKDF-SHA256 (RFC 5869) and an
 * empty salt: the KEK is already uniformly random, so s3.1 lets the salt be omitted, and
 * `info` separates the purposes (s3.2), so no two uses share a key.
 * @throws TypeError when `kek` is not a 32-byte Buffer (misconfiguration, caught at boot).
 */
export function deriveKey(kek: Buffer, info: string): Buffer {
  if (!Buffer.isBuffer(kek) || kek.length !== KEK_BYTES) {
    throw new TypeError(`The key-encryption key must be ${KEK_BYTES} bytes; set AUTH_KEK to ${KEK_BYTES} random bytes.`);
  }
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), info, KEK_BYTES));
}
