import { createHmac, randomBytes } from 'node:crypto';
import { deriveKey } from '../derive-key';
import { MfaError } from '../error-codes';

/** Recovery codes issued at a time (each works once; the caller deletes its hash on use). */
export const RECOVERY_CODE_COUNT = 10;

const HKDF_INFO = 'authkit mfa recovery codes v1';
// Crockford's base32: no I, L, O or U, so a code read off paper is not mistyped.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 16; // characters of 5 bits: 80 bits per code
const GROUP_LENGTH = 4;
const MAX_INPUT_LENGTH = 64; // anything longer is not a code; spare the work
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const CANONICAL = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);

/**
 * One-time recovery codes for users who lost their authenticator: generated from
 * node:crypto randomness, shown once as `XXXX-XXXX-XXXX-XXXX`, stored only as keyed hashes.
 *
 * @example
 * ```ts
 * const recovery = new RecoveryCodes(kek);
 * const codes = recovery.generate(); // show to the user once
 * const hashes = codes.map((code) => recovery.hash(code)); // store these
 * const typed = recovery.normalize(input); // null: not a code, do not count it as a use
 * ```
 */
export class RecoveryCodes {
  private readonly pepper: Buffer;

  /** @throws TypeError when `kek` is not 32 bytes. */
  constructor(kek: Buffer) {
    this.pepper = deriveKey(kek, HKDF_INFO);
  }

  /**
   * `count` distinct codes, each 16 characters of Crockford base32 (80 bits), grouped by four.
   * @throws TypeError when `count` is not a positive integer.
   */
  generate(count = RECOVERY_CODE_COUNT): string[] {
    if (!Number.isSafeInteger(count) || count < 1) throw new TypeError('count must be a positive integer');
    const codes = new Set<string>();
    while (codes.size < count) codes.add(randomCode());
    return [...codes];
  }

  /**
   * The canonical 16-character form of what a user typed: trimmed, upper-cased, dashes and
   * spaces dropped, and Crockford's look-alikes read as digits (O as 0, I and L as 1).
   * @returns `null` for anything else: wrong length, a character outside the alphabet, or
   *   any non-ASCII character (checked before upper-casing, which maps `ı` to `I`).
   */
  normalize(input: string): string | null {
    if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
    const trimmed = input.trim();
    if (!PRINTABLE_ASCII.test(trimmed)) return null;
    const compact = trimmed.toUpperCase().replace(/[- ]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
    return CANONICAL.test(compact) ? compact : null;
  }

  /**
   * The value to store for a code: HMAC-SHA-256 of its canonical form under a pepper derived
   * from the KEK, base64url. Each code carries 80 random bits, so a fast keyed hash is
   * enough, as for client secrets: a slow password hash would add nothing against guessing
   * 2^80 values, and the pepper leaves a stolen table of hashes useless without the KEK.
   * Variants of one code (case, dashes, look-alikes) hash alike.
   * @throws MfaError `invalid_recovery_code` when `code` does not normalize.
   */
  hash(code: string): string {
    const canonical = this.normalize(code);
    if (canonical === null) throw new MfaError('invalid_recovery_code');
    return createHmac('sha256', this.pepper).update(canonical).digest('base64url');
  }
}

/** 16 characters, one per random byte: 256 is a multiple of 32, so `byte & 31` is uniform. */
function randomCode(): string {
  const chars = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte & 0x1f]).join('');
  const groups: string[] = [];
  for (let i = 0; i < CODE_LENGTH; i += GROUP_LENGTH) groups.push(chars.slice(i, i + GROUP_LENGTH));
  return groups.join('-');
}
