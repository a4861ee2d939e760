import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The access token issued with each refresh token (its `jti` and expiry), so that revoking
 * a grant (a refresh token family) also revokes the access tokens based on it, as RFC 7009
 * s2.1 asks ("SHOULD also invalidate all access tokens based on the same authorization grant").
 */
export class RefreshAccessTokens1765200000000 implements MigrationInterface {
  name = 'RefreshAccessTokens1765200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE refresh_tokens ADD COLUMN access_jti uuid, ADD COLUMN access_expires_at timestamptz');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE refresh_tokens DROP COLUMN access_jti, DROP COLUMN access_expires_at');
  }
}
