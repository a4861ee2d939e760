import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Signing keys, OAuth clients and their secrets, revoked tokens, used client-assertion ids. */
export class OAuthCore1764500000000 implements MigrationInterface {
  name = 'OAuthCore1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE signing_keys (
        kid                text PRIMARY KEY,
        alg                text NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
        status             text NOT NULL CHECK (status IN ('next', 'active', 'retired')),
        public_jwk         jsonb NOT NULL,
        private_key_sealed text NOT NULL,
        created_at         timestamptz NOT NULL,
        activated_at       timestamptz,
        retired_at         timestamptz,
        publish_until      timestamptz
      )`);
    await runner.query(`CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg) WHERE status = 'active'`);
    await runner.query(`
      CREATE TABLE oauth_clients (
        client_id                  text PRIMARY KEY,
        client_name                text,
        grant_types                text[] NOT NULL,
        redirect_uris              text[] NOT NULL DEFAULT '{}',
        scope                      text NOT NULL DEFAULT '',
        token_endpoint_auth_method text NOT NULL,
        jwks                       jsonb,
        jwks_uri                   text,
        resources                  text[] NOT NULL DEFAULT '{}',
        skip_consent               boolean NOT NULL DEFAULT false,
        access_token_ttl           integer,
        refresh_token_ttl          integer,
        created_at                 timestamptz NOT NULL DEFAULT now(),
        updated_at                 timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE oauth_client_secrets (
        id          uuid PRIMARY KEY,
        client_id   text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
        secret_hash char(64) NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz
      )`);
    await runner.query('CREATE INDEX oauth_client_secrets_client_idx ON oauth_client_secrets (client_id)');
    await runner.query(`
      CREATE TABLE revoked_tokens (
        jti        text PRIMARY KEY,
        client_id  text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await runner.query('CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at)');
    await runner.query(`
      CREATE TABLE client_assertion_jtis (
        client_id  text NOT NULL,
        jti        text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (client_id, jti)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['client_assertion_jtis', 'revoked_tokens', 'oauth_client_secrets', 'oauth_clients', 'signing_keys']) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
