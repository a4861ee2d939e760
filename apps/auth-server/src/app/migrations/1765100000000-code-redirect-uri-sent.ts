import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether the authorization request carried `redirect_uri` (it may be omitted when the
 * client registered exactly one, RFC 6749 s3.1.2.3); the token request must repeat it only
 * when it did (RFC 6749 s4.1.3).
 */
export class CodeRedirectUriSent1765100000000 implements MigrationInterface {
  name = 'CodeRedirectUriSent1765100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE authorization_codes ADD COLUMN redirect_uri_sent boolean NOT NULL DEFAULT true');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE authorization_codes DROP COLUMN redirect_uri_sent');
  }
}
