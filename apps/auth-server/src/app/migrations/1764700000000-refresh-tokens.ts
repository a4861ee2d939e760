import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh tokens, stored only as SHA-256 hashes (they are 256-bit random values). Each
 * belongs to a family: the chain of rotations from one grant, revoked together when a
 * rotated token is presented again (RFC 9700 s4.14.2).
 */
export class RefreshTokens1764700000000 implements MigrationInterface {
  name = 'RefreshTokens1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE refresh_tokens (
        id                uuid PRIMARY KEY,
        token_hash        char(64) NOT NULL UNIQUE,
        family_id         uuid NOT NULL,
        parent_id         uuid,
        client_id         text NOT NULL,
        user_id           text NOT NULL,
        scope             text NOT NULL,
        auth_time         bigint NOT NULL,
        amr               text[] NOT NULL,
        created_at        timestamptz NOT NULL DEFAULT now(),
        expires_at        timestamptz NOT NULL,
        family_expires_at timestamptz NOT NULL,
        rotated_at        timestamptz,
        revoked_at        timestamptz
      )`);
    await runner.query('CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)');
    await runner.query('CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE refresh_tokens');
  }
}
