import { Injectable } from '@nestjs/common';

/** RFC 6749 s4.1.3: the authorization code grant. */
@Injectable()
export class AuthorizationCodeGrant {}
