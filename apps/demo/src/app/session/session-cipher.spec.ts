import { SessionCipher } from './session-cipher';

describe('SessionCipher (AES-256-GCM under an HKDF key)', () => {
  const cipher = new SessionCipher('s'.repeat(40));

  it('round-trips a value bound to its key, with a fresh IV each time', () => {
    const sealed = cipher.encrypt('{"accessToken":"eyJ.secret"}', 'session:abc');
    expect(sealed).not.toContain('secret');
    expect(cipher.decrypt(sealed, 'session:abc')).toBe('{"accessToken":"eyJ.secret"}');
    expect(cipher.encrypt('same', 'k')).not.toBe(cipher.encrypt('same', 'k'));
  });

  // CWE-353: a value moved under another key (another session) or altered must not open.
  it.each([
    ['moved under another key', (sealed: string) => ({ sealed, key: 'session:other' })],
    ['with a flipped ciphertext byte', (sealed: string) => ({ sealed: flip(sealed, 2), key: 'session:abc' })],
    ['with a flipped tag byte', (sealed: string) => ({ sealed: flip(sealed, 3), key: 'session:abc' })],
    ['of an unknown version', (sealed: string) => ({ sealed: sealed.replace(/^v1/, 'v0'), key: 'session:abc' })],
    ['truncated', (sealed: string) => ({ sealed: sealed.split('.').slice(0, 3).join('.'), key: 'session:abc' })],
  ])('refuses a value %s (CWE-353)', (_label, tamper) => {
    const { sealed, key } = tamper(cipher.encrypt('{"a":1}', 'session:abc'));
    expect(cipher.decrypt(sealed, key)).toBeUndefined();
  });

  it('cannot open values sealed under another client secret', () => {
    expect(new SessionCipher('t'.repeat(40)).decrypt(cipher.encrypt('x', 'k'), 'k')).toBeUndefined();
  });

  it('refuses an empty secret (misconfiguration)', () => {
    expect(() => new SessionCipher('')).toThrow(TypeError);
  });
});

function flip(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}
