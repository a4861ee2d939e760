import { Injectable } from '@nestjs/common';

/**
 * The time sessions are judged by, in milliseconds since the epoch. A provider of its own
 * so that tests can move it to exercise idle and absolute timeouts without sleeping.
 */
@Injectable()
export class SessionClock {
  now(): number {
    return Date.now();
  }
}
