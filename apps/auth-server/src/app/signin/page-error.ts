import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * A failure a browser is shown as an HTML page, never as a redirect, with a stable `code`
 * (tests and operators match on it) and fixed text for the user; nothing of the request is
 * echoed. Rendered by {@link PageErrorFilter}.
 */
export abstract class PageError<Code extends string> extends HttpException {
  constructor(
    readonly code: Code,
    readonly userMessage: string,
    status: number = HttpStatus.BAD_REQUEST,
  ) {
    super({ error: code, error_description: userMessage }, status);
  }
}
