// Attacks on the second factor:
// - TOTP replay: a code seen over a shoulder or phished is used again while still inside the
//   drift window (RFC 6238 s5.2: "the verifier MUST NOT accept the second attempt of the OTP").
// - Codes outside the drift window: old or far-future codes (RFC 6238 s5.2 allows "at most
//   one time step" of delay; each step more multiplies an online guesser's chances).
// - Non-ASCII digit look-alikes: Arabic-Indic, Devanagari or fullwidth digits that a Unicode
//   `\d` or a lenient parser would read as 0-9 (CWE-176, improper handling of Unicode).
// - A sealed TOTP secret copied onto another user's row in the database, to take over that
//   account's second factor (AEAD associated data binds it to its user: RFC 5116 s2.1).
// - A stolen table of recovery-code hashes tested offline without the KEK-derived pepper
//   (RFC 4226 s7.5 asks that stored secrets be protected; the pepper never reaches the database).
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { RecoveryCodes } from '../recovery-codes/recovery-codes';
import { MfaError } from '../error-codes';
import { TotpSecretCipher } from './totp-secret.cipher';
import { TotpService } from './totp.service';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const KEK = Buffer.alloc(32, 9);
const START_MS = 1_700_000_010_000; // 10 s into a step

/** A TotpService whose clock the test moves. */
function clock(startMs: number) {
  let ms = startMs;
  const totp = new TotpService({ issuer: 'AuthKit', now: () => ms });
  return { totp, advance: (seconds: number) => (ms += seconds * 1000) };
}

describe('TOTP replay within the window (RFC 6238 s5.2)', () => {
  it('refuses a code a second time in the same step', async () => {
    const { totp } = clock(START_MS);
    const code = await totp.generate(SECRET);
    const used = await totp.verify(code, SECRET, null);
    expect(used).toBe(totp.currentStep());
    await expect(totp.verify(code, SECRET, used)).resolves.toBeNull();
  });

  it('refuses it in the next step, while it is still inside the drift window', async () => {
    const { totp, advance } = clock(START_MS);
    const code = await totp.generate(SECRET);
    const used = await totp.verify(code, SECRET, null);
    advance(30);
    await expect(totp.verify(code, SECRET, null)).resolves.toBe(used); // still valid as step - 1
    await expect(totp.verify(code, SECRET, used)).resolves.toBeNull(); // but no longer for this user
  });

  it('refuses an older code once a newer one was used', async () => {
    const { totp } = clock(START_MS);
    const older = await totp.generate(SECRET, START_MS - 30_000);
    const used = await totp.verify(await totp.generate(SECRET), SECRET, null);
    expect(used).not.toBeNull();
    await expect(totp.verify(older, SECRET, used)).resolves.toBeNull();
  });

  it('refuses a code from the future step once that step was used (clock ahead, then replayed)', async () => {
    const { totp, advance } = clock(START_MS);
    const ahead = await totp.generate(SECRET, START_MS + 30_000);
    const used = await totp.verify(ahead, SECRET, null);
    advance(30);
    await expect(totp.verify(ahead, SECRET, used)).resolves.toBeNull();
  });
});

describe('TOTP replay of a code that two steps share', () => {
  // For the RFC secret, steps 57766335 and 57766336 (2024-11-30T18:07:30Z and 30 s later)
  // both give 251166: six digits collide about once in a million steps.
  const SHARED = { code: '251166', first: 57_766_335 } as const;

  it('uses a real collision', async () => {
    const { totp } = clock(0);
    await expect(totp.generate(SECRET, SHARED.first * 30_000)).resolves.toBe(SHARED.code);
    await expect(totp.generate(SECRET, (SHARED.first + 1) * 30_000)).resolves.toBe(SHARED.code);
  });

  it('returns the later step when both are unused, so neither can be used after it', async () => {
    const { totp } = clock((SHARED.first + 1) * 30_000 + 5_000);
    await expect(totp.verify(SHARED.code, SECRET, null)).resolves.toBe(SHARED.first + 1);
  });

  it('refuses the digits again once used, although they are also the next step\'s code', async () => {
    // Used one step early (a phone clock ahead), when only the first of the two steps is in the window.
    const { totp, advance } = clock((SHARED.first - 1) * 30_000 + 5_000);
    const used = await totp.verify(SHARED.code, SECRET, null);
    expect(used).toBe(SHARED.first);
    advance(30); // now both steps are in the window: the used one and the next
    await expect(totp.verify(SHARED.code, SECRET, used)).resolves.toBeNull();
    advance(30);
    await expect(totp.verify(SHARED.code, SECRET, used)).resolves.toBeNull();
  });
});

describe('codes outside the drift window (RFC 6238 s5.2)', () => {
  it.each([-2, 2, -10, 10, -2880])('refuses the code %i steps away', async (steps) => {
    const { totp } = clock(START_MS);
    const code = await totp.generate(SECRET, START_MS + steps * 30_000);
    await expect(totp.verify(code, SECRET, null)).resolves.toBeNull();
  });

  it('stops accepting a code once it is two steps old', async () => {
    const { totp, advance } = clock(START_MS);
    const code = await totp.generate(SECRET);
    advance(30);
    await expect(totp.verify(code, SECRET, null)).resolves.not.toBeNull();
    advance(30);
    await expect(totp.verify(code, SECRET, null)).resolves.toBeNull();
  });
});

describe('non-ASCII digit look-alikes (CWE-176)', () => {
  /** The code written with the digits of another script, whose zero is `zero`. */
  const inScript = (code: string, zero: number) => [...code].map((d) => String.fromCodePoint(zero + Number(d))).join('');

  it.each([
    ['Arabic-Indic', 0x0660],
    ['Extended Arabic-Indic', 0x06f0],
    ['Devanagari', 0x0966],
    ['Fullwidth', 0xff10],
    ['Mathematical bold', 0x1d7ce],
  ])('refuses the right code written in %s digits', async (_script, zero) => {
    const { totp } = clock(START_MS);
    const code = await totp.generate(SECRET);
    await expect(totp.verify(code, SECRET, null)).resolves.not.toBeNull(); // the ASCII form is right
    await expect(totp.verify(inScript(code, zero), SECRET, null)).resolves.toBeNull();
  });

  it('refuses a single look-alike digit among ASCII ones', async () => {
    const { totp } = clock(START_MS);
    const code = await totp.generate(SECRET);
    await expect(totp.verify(code.slice(0, 5) + inScript(code.slice(5), 0xff10), SECRET, null)).resolves.toBeNull();
  });
});

describe('a sealed TOTP secret moved to another user (AAD binding, RFC 5116 s2.1)', () => {
  const cipher = new TotpSecretCipher(KEK);

  it('does not open under another user id', () => {
    const sealedForAttacker = cipher.encrypt(SECRET, 'attacker');
    expect(cipher.decrypt(sealedForAttacker, 'attacker')).toBe(SECRET);
    expect(() => cipher.decrypt(sealedForAttacker, 'victim')).toThrow(MfaError);
    expect(() => cipher.decrypt(sealedForAttacker, 'victim')).toThrow(expect.objectContaining({ code: 'secret_unreadable' }));
  });

  it('does not open under a user id that shares a prefix', () => {
    const sealed = cipher.encrypt(SECRET, 'user-1');
    expect(() => cipher.decrypt(sealed, 'user-10')).toThrow(MfaError);
    expect(() => cipher.decrypt(sealed, 'user-')).toThrow(MfaError);
  });

  it('says nothing of the secret or the ciphertext when it refuses', () => {
    const sealed = cipher.encrypt(SECRET, 'attacker');
    expect(() => cipher.decrypt(sealed, 'victim')).not.toThrow(SECRET);
    expect(() => cipher.decrypt(sealed, 'victim')).not.toThrow(sealed.split('.')[2]!);
  });
});

describe('recovery-code hashes tested without the pepper', () => {
  const recovery = new RecoveryCodes(KEK);
  const [code] = recovery.generate(1);
  const canonical = recovery.normalize(code!)!;
  const stored = recovery.hash(code!);

  it('matches none of the unkeyed hashes an attacker would try', () => {
    for (const guess of [canonical, code!]) {
      expect(stored).not.toBe(createHash('sha256').update(guess).digest('base64url'));
      expect(stored).not.toBe(createHmac('sha256', Buffer.alloc(0)).update(guess).digest('base64url'));
      expect(stored).not.toBe(createHmac('sha256', KEK).update(guess).digest('base64url')); // the raw KEK is not the pepper
    }
    expect(stored).not.toContain(canonical);
  });

  it('cannot be reproduced under another KEK', () => {
    expect(new RecoveryCodes(Buffer.alloc(32, 10)).hash(code!)).not.toBe(stored);
  });

  it('uses a pepper of its own, not the key that seals TOTP secrets (HKDF info differs)', () => {
    const totpKey = Buffer.from(hkdfSync('sha256', KEK, Buffer.alloc(0), 'authkit mfa totp secret v1', 32));
    expect(stored).not.toBe(createHmac('sha256', totpKey).update(canonical).digest('base64url'));
    const pepper = Buffer.from(hkdfSync('sha256', KEK, Buffer.alloc(0), 'authkit mfa recovery codes v1', 32));
    expect(stored).toBe(createHmac('sha256', pepper).update(canonical).digest('base64url')); // only the pepper reproduces it
  });
});
