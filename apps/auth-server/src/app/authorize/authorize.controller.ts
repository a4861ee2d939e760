import { Controller } from '@nestjs/common';

/** The authorization endpoint (RFC 6749 s3.1). Implemented in the sign-in issue. */
@Controller()
export class AuthorizeController {}
