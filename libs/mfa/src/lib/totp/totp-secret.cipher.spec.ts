import { randomBytes } from 'node:crypto';
import { MfaError } from '../error-codes';
import { TotpSecretCipher } from './totp-secret.cipher';

const KEK = Buffer.alloc(32, 7);
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const USER = '7d3c2f0e-5b7a-4c7e-9d0b-1f2e3a4b5c6d';

/** Calls `open` and returns the MfaError it throws, failing the test if it throws anything else. */
function refusal(open: () => unknown): MfaError {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(MfaError);
    return error as MfaError;
  }
  throw new Error('expected decrypt to throw');
}

/** `sealed` with bit `bit` of the decoded bytes of part `index` flipped, re-encoded canonically. */
function flipBit(sealed: string, index: number, bit = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

/**
 * `sealed` with the unused low bits of the tag's last character set: Node decodes it to the
 * same 16 bytes, so only a strict decoder notices the string was altered.
 */
function nonCanonicalTag(sealed: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const tag = sealed.split('.')[3]!;
  const altered = tag.slice(0, -1) + alphabet[alphabet.indexOf(tag.at(-1)!) | 1];
  expect(Buffer.from(altered, 'base64url').equals(Buffer.from(tag, 'base64url'))).toBe(true);
  expect(altered).not.toBe(tag);
  return sealed.slice(0, -tag.length) + altered;
}

describe('TotpSecretCipher', () => {
  const cipher = new TotpSecretCipher(KEK);
  const sealed = cipher.encrypt(SECRET, USER);

  it('round-trips a secret for its user', () => {
    expect(cipher.decrypt(sealed, USER)).toBe(SECRET);
    expect(new TotpSecretCipher(Buffer.from(KEK)).decrypt(sealed, USER)).toBe(SECRET);
  });

  it('writes v1.<iv>.<ciphertext>.<tag> in base64url, with a 12-byte IV and a 16-byte tag', () => {
    const [version, iv, ciphertext, tag, ...rest] = sealed.split('.');
    expect(version).toBe('v1');
    expect(rest).toEqual([]);
    for (const part of [iv, ciphertext, tag]) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(ciphertext!, 'base64url')).toHaveLength(SECRET.length);
    expect(Buffer.from(tag!, 'base64url')).toHaveLength(16);
    expect(sealed).not.toContain(SECRET);
  });

  it('gives a different string each time (fresh IV)', () => {
    const again = cipher.encrypt(SECRET, USER);
    expect(again).not.toBe(sealed);
    expect(again.split('.')[1]).not.toBe(sealed.split('.')[1]);
    expect(cipher.decrypt(again, USER)).toBe(SECRET);
  });

  it.each([
    ['another user', () => cipher.decrypt(sealed, 'another-user')],
    ['an empty user id', () => cipher.decrypt(sealed, '')],
    ['another KEK', () => new TotpSecretCipher(randomBytes(32)).decrypt(sealed, USER)],
    ['a flipped bit in the IV', () => cipher.decrypt(flipBit(sealed, 1), USER)],
    ['a flipped bit in the ciphertext', () => cipher.decrypt(flipBit(sealed, 2, 13), USER)],
    ['a flipped bit in the tag', () => cipher.decrypt(flipBit(sealed, 3, 127), USER)],
    ['a changed version', () => cipher.decrypt(sealed.replace(/^v1\./, 'v2.'), USER)],
    ['no version', () => cipher.decrypt(sealed.slice(3), USER)],
    ['a truncated tag', () => cipher.decrypt(sealed.slice(0, -2), USER)],
    ['a missing part', () => cipher.decrypt(sealed.split('.').slice(0, 3).join('.'), USER)],
    ['an extra part', () => cipher.decrypt(`${sealed}.AAAA`, USER)],
    ['half the string', () => cipher.decrypt(sealed.slice(0, sealed.length >> 1), USER)],
    ['a tag in non-canonical base64url (same bytes)', () => cipher.decrypt(nonCanonicalTag(sealed), USER)],
    ['padding', () => cipher.decrypt(`${sealed}==`, USER)],
    ['a stray character', () => cipher.decrypt(sealed.replace('.', '.!'), USER)],
    ['an empty string', () => cipher.decrypt('', USER)],
    ['not a string', () => cipher.decrypt(undefined as unknown as string, USER)],
  ])('refuses %s with MfaError secret_unreadable, echoing nothing', (_case, open) => {
    const error = refusal(open);
    expect(error.code).toBe('secret_unreadable');
    expect(error.message).not.toContain(SECRET);
    for (const part of sealed.split('.').slice(1)) expect(error.message).not.toContain(part);
  });

  it('refuses a KEK that is not 32 bytes', () => {
    expect(() => new TotpSecretCipher(Buffer.alloc(16))).toThrow(TypeError);
    expect(() => new TotpSecretCipher(Buffer.alloc(33))).toThrow(TypeError);
    expect(() => new TotpSecretCipher('k'.repeat(32) as unknown as Buffer)).toThrow(TypeError);
  });

  it('refuses to seal for an empty user id', () => {
    expect(() => cipher.encrypt(SECRET, '')).toThrow(TypeError);
  });
});
