import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Authorization codes, stored only as SHA-256 hashes, bound to their client, redirect URI
 * and PKCE challenge; `redeemed_at` makes them single-use, and what the first redemption
 * issued is remembered so that a replay can revoke it (RFC 6749 s4.1.2, s10.5).
 */
export class AuthorizationCodes1764800000000 implements MigrationInterface {
  name = 'AuthorizationCodes1764800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE authorization_codes (
        id                     uuid PRIMARY KEY,
        code_hash              char(64) NOT NULL UNIQUE,
        client_id              text NOT NULL,
        redirect_uri           text NOT NULL,
        code_challenge         text NOT NULL,
        user_id                text NOT NULL,
        scope                  text NOT NULL,
        nonce                  text,
        auth_time              bigint NOT NULL,
        amr                    text[] NOT NULL,
        created_at             timestamptz NOT NULL DEFAULT now(),
        expires_at             timestamptz NOT NULL,
        redeemed_at            timestamptz,
        issued_access_jti      text,
        issued_access_exp      bigint,
        issued_refresh_family  uuid
      )`);
    await runner.query('CREATE INDEX authorization_codes_expiry_idx ON authorization_codes (expires_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE authorization_codes');
  }
}
