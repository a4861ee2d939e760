import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthThrottlerGuard } from '@authkit/auth';
import { HttpExceptionFilter, MetricsService } from '@authkit/observability';
import { ClientAuthenticator } from '../clients/client-authenticator';
import type { ClientEntity, GrantType } from '../clients/client.entity';
import { AuthorizationCodeGrant } from './authorization-code.grant';
import { ClientCredentialsGrant, type TokenResponse } from './client-credentials.grant';
import { Endpoints, PATHS } from './endpoints';
import { formParameters, type FormParameters } from './form-parameters';
import { assertGrantTypeSupported } from './grant-checks';
import { RefreshTokenGrant } from './refresh-token.grant';

/**
 * The token endpoint (RFC 6749 s3.2), the server's hot path, as a plain Fastify route.
 *
 * It runs the same steps, in the same order, as a Nest controller would: the `token`
 * throttling preset, form parsing, grant type, client authentication, the grant; errors
 * go through the same `HttpExceptionFilter`; metrics and the request context (Fastify
 * hooks) apply as to every route. Only Nest's per-request router pipeline (guards and
 * interceptors resolved per call, rxjs) is skipped: on this endpoint it cost more than
 * everything else the main thread does (see the README's benchmarks).
 */
@Injectable()
export class TokenRoute implements OnModuleInit {
  private readonly errors = new HttpExceptionFilter();

  constructor(
    private readonly http: HttpAdapterHost,
    private readonly throttler: AuthThrottlerGuard,
    private readonly authenticator: ClientAuthenticator,
    private readonly clientCredentials: ClientCredentialsGrant,
    private readonly authorizationCode: AuthorizationCodeGrant,
    private readonly refreshToken: RefreshTokenGrant,
    private readonly endpoints: Endpoints,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    fastify.post(PATHS.token, (request, reply) => this.handle(request, reply));
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const started = process.hrtime.bigint();
    const context = new ExecutionContextHost([request, reply]);
    // RFC 6749 s5.1: no caching of anything the token endpoint answers.
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    try {
      await this.throttler.enforce('token', context);
      const params = formParameters(request.headers['content-type'], request.body);
      const grantType = assertGrantTypeSupported(params);
      const { client } = await this.authenticator.authenticate(request.headers.authorization, params, this.endpoints.token);
      reply.code(200).send(await this.grant(grantType, client, params));
    } catch (error) {
      this.errors.catch(error, context);
    } finally {
      this.metrics.observe('POST', PATHS.token, reply.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return reply;
  }

  /** Hands the request to its grant; `assertGrantTypeSupported` has narrowed the type. */
  private grant(grantType: GrantType, client: ClientEntity, params: FormParameters): Promise<TokenResponse> {
    switch (grantType) {
      case 'client_credentials':
        return this.clientCredentials.handle(client, params);
      case 'authorization_code':
        return this.authorizationCode.handle(client, params);
      case 'refresh_token':
        return this.refreshToken.handle(client, params);
    }
  }
}
