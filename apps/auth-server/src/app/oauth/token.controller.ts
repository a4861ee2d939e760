import { Controller, Header, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { AuthThrottle, AuthThrottlerGuard } from '@authkit/auth';
import type { FastifyRequest } from 'fastify';
import { ClientAuthenticator } from '../clients/client-authenticator';
import { Endpoints } from './endpoints';
import { formParameters } from './form-parameters';
import { TokenEndpointsService, type IntrospectionResponse } from './token-endpoints.service';

/**
 * The revocation (RFC 7009) and introspection (RFC 7662) endpoints (the token endpoint is
 * `TokenRoute`). Each: parse the form once, authenticate the client, hand over to one service.
 * Every response carries `Cache-Control: no-store` (RFC 6749 s5.1). Rate-limited per
 * client address and per client by the `token` preset of `@authkit/auth`.
 */
@Controller('oauth2')
@UseGuards(AuthThrottlerGuard)
@AuthThrottle('token')
export class TokenController {
  constructor(
    private readonly authenticator: ClientAuthenticator,
    private readonly tokenEndpoints: TokenEndpointsService,
    private readonly endpoints: Endpoints,
  ) {}

  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revoke(@Req() request: FastifyRequest): Promise<void> {
    const params = formParameters(request.headers['content-type'], request.body);
    const { client } = await this.authenticator.authenticate(request.headers.authorization, params, this.endpoints.revocation);
    await this.tokenEndpoints.revoke(client, params);
  }

  @Post('introspect')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async introspect(@Req() request: FastifyRequest): Promise<IntrospectionResponse> {
    const params = formParameters(request.headers['content-type'], request.body);
    const { client } = await this.authenticator.authenticate(request.headers.authorization, params, this.endpoints.introspection);
    return this.tokenEndpoints.introspect(client, params);
  }
}
