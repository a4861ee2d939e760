import { Injectable } from '@nestjs/common';

/**
 * The demo's time source, in milliseconds since the epoch. Injected so that tests can
 * shift it (token expiry, idle and absolute session timeouts) instead of sleeping.
 */
@Injectable()
export class Clock {
  /** The current time in milliseconds since the epoch. */
  now(): number {
    return Date.now();
  }
}
