import type { AppConfig } from '@authkit/config';
import type { ClientEntity, GrantType } from '../clients/client.entity';
import { SCOPE_TOKEN } from '../clients/client-metadata.schema';
import type { FormParameters } from './form-parameters';
import { OAuthError } from './oauth-error';

/** Grant types the token endpoint serves (RFC 6749 s4.1, s4.4, s6). */
export const SUPPORTED_GRANTS: ReadonlySet<string> = new Set<GrantType>(['authorization_code', 'client_credentials', 'refresh_token']);

/** OIDC Core s11: the scope that asks for a refresh token. */
export const OFFLINE_ACCESS = 'offline_access';

/** Scopes that only mean something with a user present; never granted to client credentials. */
export const USER_ONLY_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * RFC 6749 s5.2 `unsupported_grant_type`: anything but the supported grants, including
 * `password` (RFC 9700 s2.4) and `implicit` (RFC 9700 s2.1.2).
 */
export function assertGrantTypeSupported(params: FormParameters): GrantType {
  const grantType = params.get('grant_type');
  if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required.');
  if (!SUPPORTED_GRANTS.has(grantType)) throw new OAuthError('unsupported_grant_type', 'This grant type is not supported.');
  return grantType as GrantType;
}

/** RFC 6749 s5.2 `unauthorized_client`: the client is not registered for this grant. */
export function assertClientMayUseGrant(client: ClientEntity, grantType: GrantType): void {
  if (!client.grantTypes.includes(grantType)) {
    throw new OAuthError('unauthorized_client', 'This client may not use this grant type.');
  }
}

/**
 * RFC 6749 s3.3: the requested scope, limited to what the client may have. No `scope`
 * means the client's registered default; any scope beyond it is `invalid_scope`.
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[]): string[] {
  if (requested === undefined) return [...allowed];
  const unique = parseScope(requested);
  if (unique.some((t) => !allowed.includes(t))) throw new OAuthError('invalid_scope', 'The requested scope exceeds what this client may have.');
  return unique;
}

/**
 * RFC 6749 s3.3: a space-delimited list of scope-tokens (1*NQCHAR), duplicates dropped.
 * @throws OAuthError `invalid_scope` when malformed.
 */
export function parseScope(requested: string): string[] {
  const tokens = requested.split(' ');
  if (tokens.some((t) => !SCOPE_TOKEN.test(t))) throw new OAuthError('invalid_scope', 'The scope is malformed.');
  return [...new Set(tokens)];
}

/**
 * RFC 6749 s5.2 `invalid_request`: "missing a required parameter".
 * @throws OAuthError `invalid_request`.
 */
export function requiredParameter(params: FormParameters, name: 'code' | 'redirect_uri' | 'refresh_token'): string {
  const value = params.get(name);
  if (value === undefined) throw new OAuthError('invalid_request', `${name} is required.`);
  return value;
}

/**
 * OIDC Core s11: a refresh token only when the grant includes `offline_access` and the client
 * is registered for the refresh_token grant (RFC 6749 s1.5: the server decides).
 */
export function mayIssueRefreshToken(client: ClientEntity, scope: readonly string[]): boolean {
  return scope.includes(OFFLINE_ACCESS) && client.grantTypes.includes('refresh_token');
}

/**
 * Refresh token lifetimes in seconds: idle per token (the client's `refresh_token_ttl`, else
 * `REFRESH_TOKEN_TTL`) and absolute per family (`REFRESH_TOKEN_ABSOLUTE_TTL`), RFC 9700 s4.14.2.
 */
export function refreshLifetimes(client: ClientEntity, config: AppConfig): { idle: number; absolute: number } {
  return { idle: client.refreshTokenTtl ?? config.lifetimes.refreshToken, absolute: config.lifetimes.refreshTokenAbsolute };
}

/**
 * RFC 6749 s5.2 `invalid_grant`: the resource owner of the grant no longer exists or is
 * disabled, so nothing may be issued on their behalf.
 */
export function assertUserActive<T extends { disabled: boolean }>(user: T | null): asserts user is T {
  if (!user || user.disabled) throw new OAuthError('invalid_grant', 'The grant is no longer valid.');
}

/**
 * RFC 8707 s2: each `resource` must be an absolute URI without fragment and registered
 * for the client; the token's `aud` is those resources, or `AUTH_DEFAULT_AUDIENCE`.
 */
export function resolveAudience(params: FormParameters, client: ClientEntity, config: AppConfig): string[] {
  const resources = params.all('resource');
  if (resources.length === 0) return [config.defaultAudience];
  for (const resource of resources) {
    let url: URL;
    try {
      url = new URL(resource);
    } catch {
      throw new OAuthError('invalid_target', 'resource must be an absolute URI.');
    }
    if (url.hash || resource.includes('#')) throw new OAuthError('invalid_target', 'resource must not contain a fragment.');
    if (!client.resources.includes(resource)) throw new OAuthError('invalid_target', 'This client may not ask for that resource.');
  }
  return [...new Set(resources)];
}
