import { hkdfSync } from 'node:crypto';

/**
 * A 32-byte key for one purpose, derived from the key-encryption key with HKDF-SHA256
 * (RFC 5869, empty salt; `label` as the info). Each purpose has its own label, so no key
 * serves two purposes and none reveals `AUTH_KEK`.
 */
export function deriveKey(kek: Buffer, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), label, 32));
}
