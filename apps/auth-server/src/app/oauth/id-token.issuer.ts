import { Injectable } from '@nestjs/common';

/** OpenID Connect Core s2: ID tokens. */
@Injectable()
export class IdTokenIssuer {}
