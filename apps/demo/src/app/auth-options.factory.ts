import type { Redis } from 'ioredis';
import { RedisRevocationStore, type AuthModuleOptions } from '@authkit/auth';
import type { AppConfig } from '@authkit/config';
import { cookieNames } from './session/session-cookie';
import type { SessionService } from './session/session.service';

/**
 * The demo's `AuthModule` settings: auth-server is the issuer, `AUTH_DEFAULT_AUDIENCE` the
 * audience. Requests carry a Bearer token or the `demo_session` cookie, whose session
 * handle `SessionService.accessTokenFor` maps to the session's (refreshed) access token.
 * Revocation: the shared Redis list when `REDIS_URL` is set, otherwise RFC 7662
 * introspection with the demo's own client credentials, uncached, so that a revoked token
 * is refused at once.
 */
export function demoAuthOptions(config: AppConfig, clientSecret: string, redis: Redis | null, sessions: SessionService): AuthModuleOptions {
  const base = {
    issuer: config.issuer,
    audience: config.defaultAudience,
    realm: 'demo',
    cookie: {
      name: cookieNames(config.demo.publicUrl).session,
      allowedOrigins: [new URL(config.demo.publicUrl).origin],
      resolve: (sessionId: string) => sessions.accessTokenFor(sessionId),
    },
  };
  if (redis) return { ...base, revocation: { strategy: 'shared-store', store: new RedisRevocationStore(redis) } };
  return {
    ...base,
    revocation: { strategy: 'introspection', clientId: config.demo.clientId, clientSecret, authMethod: 'client_secret_post', cacheTtlMs: 0 },
  };
}
