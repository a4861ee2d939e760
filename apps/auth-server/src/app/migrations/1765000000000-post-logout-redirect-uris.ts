import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client metadata `post_logout_redirect_uris` (OpenID Connect RP-Initiated Logout 1.0
 * s3.1): where the end-session endpoint may send the browser back. Existing clients get
 * none, which leaves them the documented fallback of their redirect URIs' origins.
 */
export class PostLogoutRedirectUris1765000000000 implements MigrationInterface {
  name = 'PostLogoutRedirectUris1765000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris text[] NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE oauth_clients DROP COLUMN post_logout_redirect_uris');
  }
}
