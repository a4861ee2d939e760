import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a revocation has reached the shared store (Redis) that resource servers consult.
 * A revocation is recorded unpublished, marked once Redis has it, and published again by
 * every instance until it is: a Redis outage at the moment of revoking must not leave a
 * revoked token accepted elsewhere (fail closed, CWE-636).
 */
export class RevocationPublication1765300000000 implements MigrationInterface {
  name = 'RevocationPublication1765300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE revoked_tokens ADD COLUMN published boolean NOT NULL DEFAULT true');
    await runner.query('CREATE INDEX revoked_tokens_unpublished_idx ON revoked_tokens (expires_at) WHERE NOT published');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX revoked_tokens_unpublished_idx');
    await runner.query('ALTER TABLE revoked_tokens DROP COLUMN published');
  }
}
