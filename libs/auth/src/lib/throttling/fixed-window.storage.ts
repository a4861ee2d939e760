import type { ThrottlerStorage } from '@nestjs/throttler';

/** What a store answers for one increment (the shape `@nestjs/throttler` expects). */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  hits: number;
  /** ms since the epoch */
  expiresAt: number;
  blockedUntil: number;
}

const SWEEP_EVERY = 10_000; // increments between sweeps of expired windows

/**
 * An in-process throttler store with a fixed window per key: O(1) per request and one
 * small record per key, however busy the key. (`@nestjs/throttler`'s default store keeps a
 * timestamp per request for the whole window and rebuilds that list on every request, which
 * grows with traffic and dominated the token endpoint's CPU under load.) Semantics match
 * the Redis store: `limit` hits per `ttl`, then blocked for `blockDuration`.
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private sinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const now = this.now();
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(now);
    const id = `${throttlerName}:${key}`;
    let window = this.windows.get(id);
    if (!window || (window.expiresAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, expiresAt: now + ttl, blockedUntil: 0 };
      this.windows.set(id, window);
    }
    if (window.blockedUntil > now) {
      return { totalHits: window.hits, timeToExpire: seconds(window.expiresAt - now), isBlocked: true, timeToBlockExpire: seconds(window.blockedUntil - now) };
    }
    window.hits += 1;
    if (window.hits > limit) {
      window.blockedUntil = now + blockDuration;
      window.expiresAt = Math.max(window.expiresAt, window.blockedUntil);
      return { totalHits: window.hits, timeToExpire: seconds(window.expiresAt - now), isBlocked: true, timeToBlockExpire: seconds(blockDuration) };
    }
    return { totalHits: window.hits, timeToExpire: seconds(window.expiresAt - now), isBlocked: false, timeToBlockExpire: 0 };
  }

  private sweep(now: number): void {
    this.sinceSweep = 0;
    for (const [id, window] of this.windows) if (window.expiresAt <= now && window.blockedUntil <= now) this.windows.delete(id);
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
