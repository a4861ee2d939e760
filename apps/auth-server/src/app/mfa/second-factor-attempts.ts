import { Inject, Injectable } from '@nestjs/common';
import { getStorageToken, type ThrottlerStorage } from '@nestjs/throttler';
import { AuditService } from '@authkit/audit';
import { DEFAULT_PRESETS, TooManyRequestsError } from '@authkit/auth';
import { OAuthError } from '../oauth/oauth-error';

/**
 * Attempts at a user's second factor: every code checked for a user (at sign-in, at
 * enrollment, when turning it off) counts, success or not. RFC 6238 s5.2 asks verifiers to
 * throttle; OWASP ASVS 5.0 V6.3.1 limits guessing per account. With 6 digits and a window of
 * three steps, 5 attempts per 5 minutes give a guesser about 1 chance in 66,000 per window.
 */
const LIMIT = DEFAULT_PRESETS.mfa.perAccount;
const THROTTLER_NAME = 'mfa:account';

/** Counts second-factor attempts per user in the rate-limit store (Redis when instances share it). */
@Injectable()
export class SecondFactorAttempts {
  constructor(
    @Inject(getStorageToken()) private readonly storage: ThrottlerStorage,
    private readonly audit: AuditService,
  ) {}

  /**
   * Counts one attempt for `userId`.
   * @throws TooManyRequestsError (429, `Retry-After`) past the limit.
   * @throws OAuthError `temporarily_unavailable` (503) when the store cannot answer: no
   *   unthrottled guessing while it is down (fail closed).
   */
  async consume(userId: string): Promise<void> {
    let hit: Awaited<ReturnType<ThrottlerStorage['increment']>>;
    try {
      hit = await this.storage.increment(`${THROTTLER_NAME}:user:${userId}`, LIMIT.ttlMs, LIMIT.limit, LIMIT.blockMs ?? LIMIT.ttlMs, THROTTLER_NAME);
    } catch {
      throw new OAuthError('temporarily_unavailable', 'Second-factor checks are unavailable.');
    }
    if (hit.isBlocked) {
      this.audit.record({ type: 'rate_limit.exceeded', outcome: 'failure', subject: { type: 'user', id: userId }, details: { throttler: THROTTLER_NAME } });
      throw new TooManyRequestsError(Math.max(1, Math.ceil(hit.timeToBlockExpire)));
    }
  }
}
