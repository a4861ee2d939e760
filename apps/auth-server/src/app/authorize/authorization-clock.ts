import { Injectable } from '@nestjs/common';

/**
 * The time the authorization flow judges `max_age` and form expiry by, in seconds since
 * the epoch. A provider of its own so that tests can shift it instead of sleeping.
 */
@Injectable()
export class AuthorizationClock {
  nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }
}
