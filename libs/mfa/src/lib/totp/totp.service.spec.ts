import { TOTP_DIGITS, TOTP_PERIOD_SECONDS, TOTP_WINDOW_STEPS, TotpService } from './totp.service';

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
// [unix seconds, 8-digit vector of Appendix B]; authenticator apps show the last 6 digits.
const RFC_VECTORS = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
] as const;

const NOW_MS = 1_234_567_890_000; // the first millisecond of step 41152263
const STEP = 41_152_263;

function frozenAt(ms: number): TotpService {
  return new TotpService({ issuer: 'AuthKit', now: () => ms });
}

describe('TotpService', () => {
  it('uses the parameters authenticator apps expect', () => {
    expect([TOTP_PERIOD_SECONDS, TOTP_DIGITS, TOTP_WINDOW_STEPS]).toEqual([30, 6, 1]);
  });

  describe('generate (RFC 6238 Appendix B, SHA-1)', () => {
    it.each(RFC_VECTORS)('at T=%i gives the last 6 digits of %s', async (seconds, vector) => {
      await expect(frozenAt(0).generate(RFC_SECRET, seconds * 1000)).resolves.toBe(vector.slice(-6));
    });

    it('defaults to the clock', async () => {
      await expect(frozenAt(59_000).generate(RFC_SECRET)).resolves.toBe('287082');
    });
  });

  describe('verify', () => {
    it.each(RFC_VECTORS)('accepts the vector at T=%i and returns its time step', async (seconds, vector) => {
      const totp = frozenAt(seconds * 1000);
      await expect(totp.verify(vector.slice(-6), RFC_SECRET, null)).resolves.toBe(Math.floor(seconds / 30));
    });

    it('returns the current step for the current code', async () => {
      const totp = frozenAt(NOW_MS);
      expect(totp.currentStep()).toBe(STEP);
      await expect(totp.verify(await totp.generate(RFC_SECRET), RFC_SECRET, null)).resolves.toBe(STEP);
    });

    it.each([-1, 1])('accepts the code %i step away (clock drift) and returns that step', async (offset) => {
      const totp = frozenAt(NOW_MS);
      const code = await totp.generate(RFC_SECRET, NOW_MS + offset * 30_000);
      await expect(totp.verify(code, RFC_SECRET, null)).resolves.toBe(STEP + offset);
    });

    it.each([-2, 2])('refuses the code %i steps away', async (offset) => {
      const totp = frozenAt(NOW_MS);
      const code = await totp.generate(RFC_SECRET, NOW_MS + offset * 30_000);
      await expect(totp.verify(code, RFC_SECRET, null)).resolves.toBeNull();
    });

    it('measures the window in steps, not seconds from now', async () => {
      const lastMsOfStep = (STEP + 1) * 30_000 - 1;
      const totp = frozenAt(lastMsOfStep);
      // 59.999 s back is still step - 1; one millisecond more is step - 2.
      await expect(totp.verify(await totp.generate(RFC_SECRET, STEP * 30_000 - 30_000), RFC_SECRET, null)).resolves.toBe(STEP - 1);
      await expect(totp.verify(await totp.generate(RFC_SECRET, STEP * 30_000 - 30_001), RFC_SECRET, null)).resolves.toBeNull();
    });

    it('trims surrounding whitespace', async () => {
      const totp = frozenAt(59_000);
      await expect(totp.verify('  287082\n', RFC_SECRET, null)).resolves.toBe(1);
      await expect(totp.verify('\t287082 ', RFC_SECRET, null)).resolves.toBe(1);
    });

    it.each([
      ['empty', ''],
      ['five digits', '28708'],
      ['seven digits', '2870820'],
      ['the 8-digit vector', '94287082'],
      ['a space inside', '287 082'],
      ['a dash inside', '287-082'],
      ['letters', '28708a'],
      ['a sign', '+287082'],
      ['Arabic-Indic digits', '\u0662\u0668\u0667\u0660\u0668\u0662'],
      ['fullwidth digits', '\uff12\uff18\uff17\uff10\uff18\uff12'],
      ['a fullwidth digit among ASCII', '28708\uff12'],
      ['Devanagari digits', '\u0968\u096e\u096d\u0966\u096e\u0968'],
      ['a NUL byte', '287082\u0000'],
    ])('refuses %s', async (_kind, code) => {
      await expect(frozenAt(59_000).verify(code, RFC_SECRET, null)).resolves.toBeNull();
    });

    it('refuses input that is not a string instead of throwing', async () => {
      const totp = frozenAt(59_000);
      await expect(totp.verify(undefined as unknown as string, RFC_SECRET, null)).resolves.toBeNull();
      await expect(totp.verify(287082 as unknown as string, RFC_SECRET, null)).resolves.toBeNull();
      await expect(totp.verify('287082', null as unknown as string, null)).resolves.toBeNull();
    });

    it('refuses rather than throws for a malformed secret', async () => {
      const totp = frozenAt(59_000);
      await expect(totp.verify('287082', 'not base32!', null)).resolves.toBeNull();
      await expect(totp.verify('287082', 'GEZDGNBV', null)).resolves.toBeNull(); // 5 bytes: below otplib's 16-byte floor
      await expect(totp.verify('287082', '', null)).resolves.toBeNull();
    });

    it('refuses a wrong code', async () => {
      await expect(frozenAt(59_000).verify('287083', RFC_SECRET, null)).resolves.toBeNull();
    });

    it('refuses the step it returned when that step comes back as lastUsedStep', async () => {
      const totp = frozenAt(NOW_MS);
      const code = await totp.generate(RFC_SECRET);
      const step = await totp.verify(code, RFC_SECRET, null);
      expect(step).toBe(STEP);
      await expect(totp.verify(code, RFC_SECRET, step)).resolves.toBeNull();
    });

    it('refuses an earlier step once a later one was used', async () => {
      const totp = frozenAt(NOW_MS);
      const earlier = await totp.generate(RFC_SECRET, NOW_MS - 30_000);
      const later = await totp.generate(RFC_SECRET, NOW_MS + 30_000);
      const used = await totp.verify(later, RFC_SECRET, null);
      expect(used).toBe(STEP + 1);
      await expect(totp.verify(earlier, RFC_SECRET, used)).resolves.toBeNull();
      await expect(totp.verify(await totp.generate(RFC_SECRET), RFC_SECRET, used)).resolves.toBeNull();
    });

    it('accepts a later step after an earlier one was used', async () => {
      const totp = frozenAt(NOW_MS);
      await expect(totp.verify(await totp.generate(RFC_SECRET), RFC_SECRET, STEP - 1)).resolves.toBe(STEP);
    });

    it('fails closed when lastUsedStep is not a number', async () => {
      const totp = frozenAt(NOW_MS);
      await expect(totp.verify(await totp.generate(RFC_SECRET), RFC_SECRET, Number.NaN)).resolves.toBeNull();
    });

    it('works with its own secrets (20 bytes pass otplib guardrails)', async () => {
      const totp = frozenAt(NOW_MS);
      const secret = totp.generateSecret();
      await expect(totp.verify(await totp.generate(secret), secret, null)).resolves.toBe(STEP);
    });
  });

  describe('generateSecret', () => {
    it('gives 32 characters of RFC 4648 base32 (20 bytes), different each time', () => {
      const totp = frozenAt(0);
      const secrets = Array.from({ length: 200 }, () => totp.generateSecret());
      for (const secret of secrets) expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(new Set(secrets).size).toBe(secrets.length);
    });
  });

  describe('keyUri (Key Uri Format)', () => {
    it('names the issuer, account, secret and parameters', () => {
      const uri = new URL(frozenAt(0).keyUri('alice@example.com', RFC_SECRET));
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.host).toBe('totp');
      expect(decodeURIComponent(uri.pathname)).toBe('/AuthKit:alice@example.com');
      expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: RFC_SECRET, issuer: 'AuthKit', algorithm: 'SHA1', digits: '6', period: '30' });
    });

    it('percent-encodes the label and the issuer parameter', () => {
      const totp = new TotpService({ issuer: 'Acme Co & Sons' });
      const raw = totp.keyUri('bob smith/ops?x', RFC_SECRET);
      expect(raw.startsWith('otpauth://totp/Acme%20Co%20%26%20Sons:bob%20smith%2Fops%3Fx?')).toBe(true);
      const uri = new URL(raw);
      expect(uri.searchParams.get('issuer')).toBe('Acme Co & Sons');
      expect(decodeURIComponent(uri.pathname.slice(1))).toBe('Acme Co & Sons:bob smith/ops?x');
    });

    it('encodes a colon inside the issuer (a host with a port) so the label keeps one literal colon', () => {
      const raw = new TotpService({ issuer: 'localhost:3000' }).keyUri('alice', RFC_SECRET);
      expect(new URL(raw).pathname).toBe('/localhost%3A3000:alice');
    });
  });

  it('refuses an empty issuer at construction', () => {
    expect(() => new TotpService({ issuer: ' ' })).toThrow(TypeError);
  });
});
