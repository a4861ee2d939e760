import type { ClientEntity } from './client.entity';
import { clientMetadataSchema } from './client-metadata.schema';

/** The public view of a client (RFC 7591 s3.2.1 names), never with a secret hash. */
export interface ClientView {
  client_id: string;
  client_name?: string;
  grant_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  scope: string;
  token_endpoint_auth_method: string;
  jwks?: unknown;
  jwks_uri?: string;
  resources: string[];
  skip_consent: boolean;
  access_token_ttl?: number;
  refresh_token_ttl?: number;
  client_id_issued_at: number;
  /** Present once: in the answer that created or rotated it. */
  client_secret?: string;
  secrets_valid: number;
}

/** Mapping between stored clients, RFC 7591 metadata and the admin API's view. */

export function fromMetadata(client: ClientEntity, clientId: string, m: ReturnType<typeof clientMetadataSchema.parse>): ClientEntity {
  const now = new Date();
  client.clientId = clientId;
  client.clientName = m.client_name ?? null;
  client.grantTypes = m.grant_types;
  client.redirectUris = m.redirect_uris;
  client.postLogoutRedirectUris = m.post_logout_redirect_uris;
  client.scope = m.scope;
  client.tokenEndpointAuthMethod = m.token_endpoint_auth_method;
  client.jwks = (m.jwks as ClientEntity['jwks']) ?? null;
  client.jwksUri = m.jwks_uri ?? null;
  client.resources = m.resources;
  client.skipConsent = m.skip_consent;
  client.accessTokenTtl = m.access_token_ttl ?? null;
  client.refreshTokenTtl = m.refresh_token_ttl ?? null;
  client.createdAt ??= now;
  client.updatedAt = now;
  return client;
}

export function toMetadataInput(c: ClientEntity): Record<string, unknown> {
  return stripNulls({
    client_name: c.clientName,
    grant_types: c.grantTypes,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    scope: c.scope,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    jwks: c.jwks,
    jwks_uri: c.jwksUri,
    resources: c.resources,
    skip_consent: c.skipConsent,
    access_token_ttl: c.accessTokenTtl,
    refresh_token_ttl: c.refreshTokenTtl,
  });
}

export function stripNulls<T extends Record<string, unknown>>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined));
}

/** Optional members without a default: a bootstrap entry without them sets them to null (absent). */
export const CLEARED_BY_OMISSION = { client_name: null, jwks: null, jwks_uri: null, access_token_ttl: null, refresh_token_ttl: null };

/**
 * JSON with object members sorted at every depth. jsonb (`jwks`) gives members back in its
 * own order, not the file's, so a plain JSON.stringify saw a change on every start.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

/** Compares registrations independent of defaults and member order. */
export function normalise(value: Record<string, unknown>): Record<string, unknown> {
  const parsed = clientMetadataSchema.safeParse(stripNulls(value));
  const data = (parsed.success ? parsed.data : value) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(stripNulls(data))
      .filter(([k]) => k !== 'client_id' && k !== 'client_secret')
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

export function toView(c: ClientEntity, secretsValid: number): ClientView {
  return {
    client_id: c.clientId,
    ...(c.clientName ? { client_name: c.clientName } : {}),
    grant_types: c.grantTypes,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    scope: c.scope,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    ...(c.jwks ? { jwks: c.jwks } : {}),
    ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
    resources: c.resources,
    skip_consent: c.skipConsent,
    ...(c.accessTokenTtl ? { access_token_ttl: c.accessTokenTtl } : {}),
    ...(c.refreshTokenTtl ? { refresh_token_ttl: c.refreshTokenTtl } : {}),
    client_id_issued_at: Math.floor(c.createdAt.getTime() / 1000),
    secrets_valid: secretsValid,
  };
}
