import { Injectable } from '@nestjs/common';

/** RFC 6749 s6: the refresh token grant, with rotation. */
@Injectable()
export class RefreshTokenGrant {}
