import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Client authentication methods at the token endpoint (RFC 7591 s2; RFC 7523 s2.2). */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/** Grant types a client may be registered for. `password` and `implicit` do not exist here (RFC 9700 s2.4, s2.1.2). */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** An OAuth client, with RFC 7591 metadata. Its secrets live in `oauth_client_secrets`, hashed. */
@Entity({ name: 'oauth_clients' })
export class ClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'client_name', type: 'text', nullable: true })
  clientName!: string | null;

  @Column({ name: 'grant_types', type: 'text', array: true })
  grantTypes!: GrantType[];

  @Column({ name: 'redirect_uris', type: 'text', array: true })
  redirectUris!: string[];

  /** Where RP-Initiated Logout may return the browser (OpenID Connect RP-Initiated Logout 1.0 s3.1). */
  @Column({ name: 'post_logout_redirect_uris', type: 'text', array: true })
  postLogoutRedirectUris!: string[];

  /** Space-separated scopes the client may be granted (RFC 7591 s2). */
  @Column({ type: 'text' })
  scope!: string;

  @Column({ name: 'token_endpoint_auth_method', type: 'text' })
  tokenEndpointAuthMethod!: TokenEndpointAuthMethod;

  @Column({ type: 'jsonb', nullable: true })
  jwks!: { keys: Record<string, unknown>[] } | null;

  @Column({ name: 'jwks_uri', type: 'text', nullable: true })
  jwksUri!: string | null;

  /** Resource indicators (RFC 8707) the client may ask tokens for; they become `aud`. */
  @Column({ type: 'text', array: true })
  resources!: string[];

  @Column({ name: 'skip_consent', type: 'boolean' })
  skipConsent!: boolean;

  @Column({ name: 'access_token_ttl', type: 'integer', nullable: true })
  accessTokenTtl!: number | null;

  @Column({ name: 'refresh_token_ttl', type: 'integer', nullable: true })
  refreshTokenTtl!: number | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** A hashed client secret. Several may be valid at once during a rotation's grace period. */
@Entity({ name: 'oauth_client_secrets' })
export class ClientSecretEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'secret_hash', type: 'char', length: 64 })
  secretHash!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Null while current; set by a rotation to the end of the grace period. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
