import { Injectable } from '@nestjs/common';
import { InjectAppConfig, type AppConfig } from '@authkit/config';

/** Paths of the protocol endpoints, relative to the issuer. */
export const PATHS = {
  authorization: '/oauth2/authorize',
  token: '/oauth2/token',
  revocation: '/oauth2/revoke',
  introspection: '/oauth2/introspect',
  userinfo: '/oauth2/userinfo',
  /** OpenID Connect RP-Initiated Logout 1.0 s2 `end_session_endpoint`. */
  endSession: '/oauth2/logout',
  jwks: '/.well-known/jwks.json',
} as const;

/** Absolute endpoint URLs, as published in discovery and expected in client assertions. */
@Injectable()
export class Endpoints {
  readonly issuer: string;
  readonly authorization: string;
  readonly token: string;
  readonly revocation: string;
  readonly introspection: string;
  readonly userinfo: string;
  readonly endSession: string;
  readonly jwks: string;

  constructor(@InjectAppConfig() config: AppConfig) {
    this.issuer = config.issuer;
    this.authorization = config.issuer + PATHS.authorization;
    this.token = config.issuer + PATHS.token;
    this.revocation = config.issuer + PATHS.revocation;
    this.introspection = config.issuer + PATHS.introspection;
    this.userinfo = config.issuer + PATHS.userinfo;
    this.endSession = config.issuer + PATHS.endSession;
    this.jwks = config.issuer + PATHS.jwks;
  }
}
