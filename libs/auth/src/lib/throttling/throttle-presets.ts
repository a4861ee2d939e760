/** Authentication endpoints with a throttling preset. */
export type AuthThrottlePreset = 'login' | 'token' | 'mfa';

/** One limit: `limit` requests per `ttlMs`, then blocked for `blockMs`. */
export interface ThrottleLimit {
  readonly limit: number;
  readonly ttlMs: number;
  readonly blockMs?: number;
}

/** Each preset limits by client address and by the account (or OAuth client) named in the request. */
export interface PresetLimits {
  readonly perIp: ThrottleLimit;
  readonly perAccount: ThrottleLimit;
}

/**
 * Defaults, per instance of the store (shared across instances with Redis). Online
 * guessing is the threat (OWASP ASVS 5.0 V6.3.1; RFC 6238 s5.2 for TOTP): a few attempts
 * per account per window, more per address so that shared NATs keep working.
 */
export const DEFAULT_PRESETS: Readonly<Record<AuthThrottlePreset, PresetLimits>> = {
  login: { perIp: { limit: 30, ttlMs: 60_000 }, perAccount: { limit: 10, ttlMs: 900_000 } },
  token: { perIp: { limit: 6_000, ttlMs: 60_000 }, perAccount: { limit: 6_000, ttlMs: 60_000 } },
  mfa: { perIp: { limit: 20, ttlMs: 60_000 }, perAccount: { limit: 5, ttlMs: 300_000, blockMs: 300_000 } },
};

/** Throttler names: `<preset>:ip` and `<preset>:account`. */
export function throttlerName(preset: AuthThrottlePreset, by: 'ip' | 'account'): string {
  return `${preset}:${by}`;
}
