import { randomBytes, timingSafeEqual } from 'node:crypto';
import { generate as otpGenerate, ScureBase32Plugin } from 'otplib';

/** Length of a TOTP time step, in seconds (RFC 6238 s5.2 recommends 30; authenticator apps assume it). */
export const TOTP_PERIOD_SECONDS = 30;
/** Digits per code: 6, what authenticator apps show (RFC 4226 s5.3 allows 6 to 8). */
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one for clock drift (RFC 6238 s5.2: "at most one time step"). */
export const TOTP_WINDOW_STEPS = 1;

const SECRET_BYTES = 20; // 160 bits: RFC 4226 s4 R6 requires 128 and recommends 160
const ALGORITHM = 'sha1'; // the only HMAC every authenticator app supports (RFC 6238 s1.2 allows SHA-256/512)
const SIX_ASCII_DIGITS = /^[0-9]{6}$/; // [0-9] is ASCII only: Arabic-Indic or fullwidth digits do not match
const NO_CODE = Buffer.from('-'.repeat(TOTP_DIGITS)); // compared when a step has no code; never equals digits

const base32 = new ScureBase32Plugin();

/** Options of {@link TotpService}. */
export interface TotpServiceOptions {
  /** The service name authenticator apps show next to the account (Key Uri Format `issuer`). */
  readonly issuer: string;
  /** The clock, in milliseconds since the epoch; defaults to `Date.now`. Tests freeze it. */
  readonly now?: () => number;
}

/**
 * Time-based one-time passwords (RFC 6238) as authenticator apps compute them: HMAC-SHA-1,
 * 6 digits, 30-second steps. The HOTP arithmetic is otplib's; this class adds the parts
 * a verifier owns: input checks, the drift window, constant-time comparison and replay
 * protection by time step.
 *
 * @example
 * ```ts
 * const totp = new TotpService({ issuer: 'AuthKit' });
 * const secret = totp.generateSecret();
 * const uri = totp.keyUri('alice@example.com', secret); // shown as a QR code
 * const step = await totp.verify(code, secret, user.lastTotpStep);
 * if (step !== null) user.lastTotpStep = step; // store before answering
 * ```
 */
export class TotpService {
  private readonly issuer: string;
  private readonly now: () => number;

  /** @throws TypeError when `issuer` is empty. */
  constructor(options: TotpServiceOptions) {
    if (typeof options.issuer !== 'string' || options.issuer.trim() === '') {
      throw new TypeError('TotpService needs a non-empty issuer: the name authenticator apps show.');
    }
    this.issuer = options.issuer;
    this.now = options.now ?? Date.now;
  }

  /** A new shared secret: 20 random bytes as RFC 4648 s6 base32 without padding (32 characters). */
  generateSecret(): string {
    return base32.encode(randomBytes(SECRET_BYTES), { padding: false });
  }

  /**
   * The `otpauth://` URI an authenticator app scans (Google Authenticator Key Uri Format):
   * label `issuer:account`, each part percent-encoded, and the parameters spelled out
   * rather than left to the app's defaults.
   *
   * A colon inside the issuer or the account name is encoded as `%3A`; the format forbids
   * colons in either, and some apps split the decoded label at the first one.
   */
  keyUri(accountName: string, secret: string): string {
    const issuer = encodeURIComponent(this.issuer);
    const query = [
      `secret=${encodeURIComponent(secret)}`,
      `issuer=${issuer}`,
      `algorithm=${ALGORITHM.toUpperCase()}`,
      `digits=${TOTP_DIGITS}`,
      `period=${TOTP_PERIOD_SECONDS}`,
    ];
    return `otpauth://totp/${issuer}:${encodeURIComponent(accountName)}?${query.join('&')}`;
  }

  /** The current time step T = floor(unix time / 30) (RFC 6238 s4.2, T0 = 0). */
  currentStep(): number {
    return Math.floor(this.now() / 1000 / TOTP_PERIOD_SECONDS);
  }

  /**
   * Checks a code typed by the user.
   *
   * Accepts exactly six ASCII digits (surrounding whitespace trimmed) that match the code of
   * the current step or of one step either side, and only when that step is later than
   * `lastUsedStep`: RFC 6238 s5.2, "the verifier MUST NOT accept the second attempt of the
   * OTP after the successful validation has been issued for the first OTP". The caller
   * stores the returned step and passes it back next time.
   *
   * Every candidate is compared in constant time, with no early return. Should one code
   * match several steps (about one chance in a million), the latest is returned, and the
   * code is refused outright if any of them is at or before `lastUsedStep`: the same six
   * digits are not accepted twice.
   *
   * Never throws: malformed codes, malformed secrets and a non-numeric `lastUsedStep` give
   * `null`. Attempts are not throttled here; the caller counts them (RFC 6238 s5.2).
   *
   * @returns the time step of the matched code, or `null`.
   */
  async verify(code: string, secret: string, lastUsedStep: number | null): Promise<number | null> {
    if (typeof code !== 'string' || typeof secret !== 'string') return null;
    const given = code.trim();
    if (!SIX_ASCII_DIGITS.test(given)) return null;

    const current = this.currentStep();
    const steps: number[] = [];
    for (let offset = -TOTP_WINDOW_STEPS; offset <= TOTP_WINDOW_STEPS; offset++) steps.push(current + offset);
    const expected = await Promise.all(steps.map((step) => this.codeAtStep(secret, step)));

    const givenBytes = Buffer.from(given, 'ascii');
    let matched: number | null = null;
    let usedBefore = false;
    for (const [i, step] of steps.entries()) {
      const candidate = expected[i];
      const candidateBytes = candidate?.length === TOTP_DIGITS ? Buffer.from(candidate, 'ascii') : NO_CODE;
      if (!timingSafeEqual(givenBytes, candidateBytes)) continue;
      if (lastUsedStep === null || step > lastUsedStep) matched = step;
      else usedBefore = true; // also when lastUsedStep is NaN: fail closed
    }
    return usedBefore ? null : matched;
  }

  /**
   * The code at a moment (default: now).
   * @throws Error from otplib when `secret` is not base32 of 16 to 64 bytes.
   */
  async generate(secret: string, atMs?: number): Promise<string> {
    return otpGenerate(this.options(secret, Math.floor((atMs ?? this.now()) / 1000)));
  }

  /** The code of one time step, or `null` when it cannot be computed (bad secret, step before 1970). */
  private async codeAtStep(secret: string, step: number): Promise<string | null> {
    try {
      return await otpGenerate(this.options(secret, step * TOTP_PERIOD_SECONDS));
    } catch {
      return null;
    }
  }

  private options(secret: string, epochSeconds: number) {
    return { secret, epoch: epochSeconds, algorithm: ALGORITHM, digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS } as const;
  }
}
