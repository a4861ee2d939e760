import { Reflector } from '@nestjs/core';
import type { AuthThrottlePreset } from './throttle-presets';

/** Puts a route under a throttling preset, enforced by `AuthThrottlerGuard`. */
export const AuthThrottle = Reflector.createDecorator<AuthThrottlePreset>();
