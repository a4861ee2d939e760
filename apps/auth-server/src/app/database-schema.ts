import { AUDIT_ENTITIES, AUDIT_MIGRATIONS } from '@authkit/audit';
import type { DatabaseSchema } from '@authkit/database';
import { ClientEntity, ClientSecretEntity } from './clients/client.entity';
import { SigningKeyEntity } from './keys/signing-key.entity';
import { OAuthCore1764500000000 } from './migrations/1764500000000-oauth-core';
import { Users1764600000000 } from './migrations/1764600000000-users';
import { RefreshTokens1764700000000 } from './migrations/1764700000000-refresh-tokens';
import { AuthorizationCodes1764800000000 } from './migrations/1764800000000-authorization-codes';
import { SessionsConsents1764900000000 } from './migrations/1764900000000-sessions-consents';
import { PostLogoutRedirectUris1765000000000 } from './migrations/1765000000000-post-logout-redirect-uris';
import { CodeRedirectUriSent1765100000000 } from './migrations/1765100000000-code-redirect-uri-sent';
import { RefreshAccessTokens1765200000000 } from './migrations/1765200000000-refresh-access-tokens';
import { RevocationPublication1765300000000 } from './migrations/1765300000000-revocation-publication';
import { CodeGrantLookups1765400000000 } from './migrations/1765400000000-code-grant-lookups';
import { CodeReplayedAt1765500000000 } from './migrations/1765500000000-code-replayed-at';
import { SecondFactors1765600000000 } from './migrations/1765600000000-second-factors';
import { TotpConsecutiveFailures1765700000000 } from './migrations/1765700000000-totp-consecutive-failures';
import { UserEntity } from './users/user.entity';

/** Every entity and migration of auth-server, in the order the migrations apply. */
export const AUTH_SERVER_SCHEMA: DatabaseSchema = {
  entities: [...AUDIT_ENTITIES, ClientEntity, ClientSecretEntity, SigningKeyEntity, UserEntity],
  migrations: [...AUDIT_MIGRATIONS, OAuthCore1764500000000, Users1764600000000, RefreshTokens1764700000000, AuthorizationCodes1764800000000, SessionsConsents1764900000000, PostLogoutRedirectUris1765000000000, CodeRedirectUriSent1765100000000, RefreshAccessTokens1765200000000, RevocationPublication1765300000000, CodeGrantLookups1765400000000, CodeReplayedAt1765500000000, SecondFactors1765600000000, TotpConsecutiveFailures1765700000000],
};
