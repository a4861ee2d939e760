import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finding the access tokens issued through a user's or a client's authorization codes
 * (those with no refresh token record them only there), to revoke them with the user's or
 * client's grants (RFC 7009 s2.1), without a scan of every code.
 */
export class CodeGrantLookups1765400000000 implements MigrationInterface {
  name = 'CodeGrantLookups1765400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX authorization_codes_user_issued_idx ON authorization_codes (user_id, client_id) WHERE issued_access_jti IS NOT NULL');
    await runner.query('CREATE INDEX authorization_codes_client_issued_idx ON authorization_codes (client_id) WHERE issued_access_jti IS NOT NULL');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX authorization_codes_client_issued_idx');
    await runner.query('DROP INDEX authorization_codes_user_issued_idx');
  }
}
