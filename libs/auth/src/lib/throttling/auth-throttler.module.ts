import { type DynamicModule, Module } from '@nestjs/common';
import { ThrottlerModule, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import { AuthThrottlerGuard, THROTTLE_TRUST_PROXY } from './auth-throttler.guard';
import { FixedWindowThrottlerStorage } from './fixed-window.storage';
import { DEFAULT_PRESETS, throttlerName, type AuthThrottlePreset, type PresetLimits } from './throttle-presets';

/** Options of {@link AuthThrottlerModule}. */
export interface AuthThrottlerOptions {
  /** `TRUST_PROXY`: proxy hops or addresses whose `X-Forwarded-For` is believed. Default none. */
  readonly trustProxy?: false | number | readonly string[];
  /** Shares counters between instances; in-process (fixed windows, O(1) per request) when omitted. */
  readonly redis?: Redis;
  /** Overrides of {@link DEFAULT_PRESETS}. */
  readonly presets?: Partial<Record<AuthThrottlePreset, PresetLimits>>;
}

/**
 * Rate limits for authentication endpoints: `@UseGuards(AuthThrottlerGuard)` with
 * `@AuthThrottle('login' | 'token' | 'mfa')` on the route.
 */
@Module({})
export class AuthThrottlerModule {
  static forRoot(options: AuthThrottlerOptions = {}): DynamicModule {
    const presets = { ...DEFAULT_PRESETS, ...options.presets };
    const throttlers = (Object.keys(presets) as AuthThrottlePreset[]).flatMap((preset) => {
      const { perIp, perAccount } = presets[preset];
      return [
        { name: throttlerName(preset, 'ip'), limit: perIp.limit, ttl: perIp.ttlMs, blockDuration: perIp.blockMs ?? perIp.ttlMs },
        { name: throttlerName(preset, 'account'), limit: perAccount.limit, ttl: perAccount.ttlMs, blockDuration: perAccount.blockMs ?? perAccount.ttlMs },
      ];
    });
    const storage: ThrottlerStorage = options.redis ? new ThrottlerStorageRedisService(options.redis) : new FixedWindowThrottlerStorage();
    return {
      module: AuthThrottlerModule,
      global: true, // guards on any module's controllers need the throttler's options and storage
      imports: [ThrottlerModule.forRoot({ throttlers, storage, setHeaders: false })],
      providers: [{ provide: THROTTLE_TRUST_PROXY, useValue: options.trustProxy ?? false }, AuthThrottlerGuard],
      exports: [AuthThrottlerGuard, ThrottlerModule, THROTTLE_TRUST_PROXY],
    };
  }
}
