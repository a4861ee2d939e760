import { Controller, Get, Header, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthThrottle, AuthThrottlerGuard } from '@authkit/auth';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { UserService } from '../users/user.service';
import { OwnTokenVerifier } from './own-token.verifier';
import { RevocationList } from './revocation-list';
import { findUser } from './user-lookup';
import { assertOpenidUserToken, assertSubjectActive, assertTokenActive, bearerToken, userinfoClaims, type UserinfoClaims } from './userinfo-checks';

/**
 * OpenID Connect Core s5.3: the UserInfo endpoint, GET and POST (s5.3.1), at
 * `/oauth2/userinfo`. A Bearer access token of this server (RFC 6750 s2.1), unexpired, not
 * revoked, with scope `openid`, whose user is active; errors per RFC 6750 s3. Any audience
 * is accepted: the token's signature, issuer and `openid` scope already say this server
 * issued it for this purpose. Responses are never cached (`Cache-Control: no-store`).
 * Throttled per client address with the `token` preset, like the other token-bearing endpoints.
 */
@Controller('oauth2')
@UseGuards(AuthThrottlerGuard)
@AuthThrottle('token')
export class UserinfoController {
  private readonly realm: string;

  constructor(
    private readonly verifier: OwnTokenVerifier,
    private readonly revocations: RevocationList,
    private readonly users: UserService,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.realm = config.issuer;
  }

  /** OIDC Core s5.3.1: GET. */
  @Get('userinfo')
  @Header('Cache-Control', 'no-store')
  get(@Req() request: FastifyRequest): Promise<UserinfoClaims> {
    return this.userinfo(request.headers.authorization);
  }

  /** OIDC Core s5.3.1: POST, same answer. */
  @Post('userinfo')
  @Header('Cache-Control', 'no-store')
  post(@Req() request: FastifyRequest): Promise<UserinfoClaims> {
    return this.userinfo(request.headers.authorization);
  }

  private async userinfo(authorization: string | undefined): Promise<UserinfoClaims> {
    const token = bearerToken(authorization, this.realm);
    const claims = this.verifier.verify(token);
    assertTokenActive(claims, claims !== null && (await this.revocations.isRevoked(claims.jti)), this.realm);
    assertOpenidUserToken(claims, this.realm);
    const user = await findUser(this.users, claims.sub);
    assertSubjectActive(user, this.realm);
    return userinfoClaims(user, claims.scope.split(' '));
  }
}
