import { randomBytes } from 'node:crypto';
import { MfaError } from '../error-codes';
import { RECOVERY_CODE_COUNT, RecoveryCodes } from './recovery-codes';

const KEK = Buffer.alloc(32, 3);
const FORMAT = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/; // Crockford base32: no I, L, O, U

describe('RecoveryCodes', () => {
  const recovery = new RecoveryCodes(KEK);

  describe('generate', () => {
    it(`gives ${RECOVERY_CODE_COUNT} distinct codes shaped XXXX-XXXX-XXXX-XXXX`, () => {
      const codes = recovery.generate();
      expect(RECOVERY_CODE_COUNT).toBe(10);
      expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
      for (const code of codes) expect(code).toMatch(FORMAT);
      expect(new Set(codes).size).toBe(codes.length);
    });

    it('gives the count asked for, each its own normal form', () => {
      const codes = recovery.generate(3);
      expect(codes).toHaveLength(3);
      for (const code of codes) expect(recovery.normalize(code)).toBe(code.replace(/-/g, ''));
    });

    it('draws every character of the alphabet and nothing else', () => {
      const used = new Set(recovery.generate(200).join('').replace(/-/g, ''));
      expect([...used].sort().join('')).toBe('0123456789ABCDEFGHJKMNPQRSTVWXYZ');
    });

    it.each([0, -1, 1.5, Number.NaN])('refuses count %p', (count) => {
      expect(() => recovery.generate(count)).toThrow(TypeError);
    });
  });

  describe('normalize', () => {
    const canonical = '0123456789ABCDEF';

    it.each([
      ['the grouped form', '0123-4567-89AB-CDEF'],
      ['lowercase', '0123-4567-89ab-cdef'],
      ['no dashes', '0123456789ABCDEF'],
      ['spaces instead of dashes', '0123 4567 89AB CDEF'],
      ['surrounding whitespace', '  0123-4567-89AB-CDEF\n'],
      ['dashes and spaces anywhere', '01-23 45-67 89 AB-CD EF'],
      ['O for 0', 'O123-4567-89AB-CDEF'],
      ['o for 0', 'o123-4567-89ab-cdef'],
      ['I for 1', '0I23-4567-89AB-CDEF'],
      ['L for 1', '0L23-4567-89AB-CDEF'],
      ['l for 1', '0l23-4567-89ab-cdef'],
    ])('reads %s', (_variant, input) => {
      expect(recovery.normalize(input)).toBe(canonical);
    });

    it.each([
      ['too short', '0123-4567-89AB-CDE'],
      ['too long', '0123-4567-89AB-CDEF0'],
      ['empty', ''],
      ['U, outside the alphabet', '0123-4567-89AB-CDEU'],
      ['punctuation', '0123_4567_89AB_CDEF'],
      ['a tab inside', '0123\t4567-89AB-CDEF'],
      ['dotless i (upper-cases to I)', '0\u013123-4567-89AB-CDEF'],
      ['long s (upper-cases to S)', '0123-4567-89AB-CDE\u017f'],
      ['a fullwidth digit', '\uff10123-4567-89AB-CDEF'],
      ['a non-breaking space inside', '0123\u00a04567-89AB-CDEF'],
      ['a very long input', `${'0123-4567-89AB-CDEF'}${' '.repeat(100)}-`],
      ['not a string', 42 as unknown as string],
    ])('refuses %s', (_case, input) => {
      expect(recovery.normalize(input)).toBeNull();
    });
  });

  describe('hash', () => {
    it('is base64url of 32 bytes, the same for every variant of a code', () => {
      const [code] = recovery.generate(1);
      const hash = recovery.hash(code!);
      expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
      for (const variant of [code!.toLowerCase(), code!.replace(/-/g, ''), ` ${code!.replace(/-/g, ' ')} `]) {
        expect(recovery.hash(variant)).toBe(hash);
      }
    });

    it('reads look-alikes as their digits', () => {
      expect(recovery.hash('OIL0-0000-0000-0000')).toBe(recovery.hash('0110-0000-0000-0000'));
    });

    it('differs between codes', () => {
      const [a, b] = recovery.generate(2);
      expect(recovery.hash(a!)).not.toBe(recovery.hash(b!));
    });

    it('differs under another pepper (another KEK)', () => {
      const [code] = recovery.generate(1);
      expect(new RecoveryCodes(randomBytes(32)).hash(code!)).not.toBe(recovery.hash(code!));
      expect(new RecoveryCodes(Buffer.from(KEK)).hash(code!)).toBe(recovery.hash(code!));
    });

    it.each(['', 'not a code', '0123-4567-89AB-CDEU'])('throws MfaError invalid_recovery_code for %p', (input) => {
      expect(() => recovery.hash(input)).toThrow(MfaError);
      expect(() => recovery.hash(input)).toThrow(expect.objectContaining({ code: 'invalid_recovery_code' }));
      if (input) expect(() => recovery.hash(input)).not.toThrow(input);
    });
  });

  it('refuses a KEK that is not 32 bytes', () => {
    expect(() => new RecoveryCodes(Buffer.alloc(31))).toThrow(TypeError);
  });
});
