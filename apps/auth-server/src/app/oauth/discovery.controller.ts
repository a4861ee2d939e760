import { Controller, Get, Header, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InjectAppConfig, type AppConfig } from '@authkit/config';
import { SigningKeyService } from '../keys/signing-key.service';
import { Endpoints } from './endpoints';
import { SUPPORTED_GRANTS } from './grant-checks';

const JWKS_MAX_AGE_S = 300; // resource servers refetch on an unknown kid anyway

/** Authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0) and the JWK Set. */
@Controller()
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(
    endpoints: Endpoints,
    private readonly keys: SigningKeyService,
    @InjectAppConfig() config: AppConfig,
  ) {
    this.metadata = {
      issuer: endpoints.issuer,
      authorization_endpoint: endpoints.authorization,
      token_endpoint: endpoints.token,
      jwks_uri: endpoints.jwks,
      revocation_endpoint: endpoints.revocation,
      introspection_endpoint: endpoints.introspection,
      userinfo_endpoint: endpoints.userinfo,
      // OpenID Connect RP-Initiated Logout 1.0 s2.1.
      end_session_endpoint: endpoints.endSession,
      grant_types_supported: [...SUPPORTED_GRANTS],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      subject_types_supported: ['public'],
      // ID tokens are signed with the one configured key algorithm (OIDC Discovery s3).
      id_token_signing_alg_values_supported: [config.signingAlgorithm],
      // Claims of ID tokens and of the UserInfo response (OIDC Core s2, s5.1).
      claims_supported: [
        'sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'amr', 'azp', 'at_hash',
        'email', 'email_verified', 'preferred_username', 'updated_at',
      ],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      prompt_values_supported: ['none', 'login', 'consent'],
      // RFC 9207: the authorization endpoint adds `iss` to every response.
      authorization_response_iss_parameter_supported: true,
    };
  }

  @Get('.well-known/oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=3600')
  authorizationServer(): Record<string, unknown> {
    return this.metadata;
  }

  @Get('.well-known/openid-configuration')
  @Header('Cache-Control', 'public, max-age=3600')
  openidConfiguration(): Record<string, unknown> {
    return this.metadata;
  }

  @Get('.well-known/jwks.json')
  jwks(@Res() reply: FastifyReply): void {
    reply
      .header('Content-Type', 'application/jwk-set+json')
      .header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_S}`)
      .send(this.keys.jwks());
  }
}
