import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 with the stable code `too_many_requests` and `Retry-After` (RFC 6585 s4). */
export class TooManyRequestsError extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super({ error: 'too_many_requests', error_description: 'Too many attempts; retry later.' }, HttpStatus.TOO_MANY_REQUESTS);
  }
}
