import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an authorization code was presented again after its redemption. A replay marks the
 * code before it reads what the first redemption issued, and the first redemption checks
 * the mark after recording what it issues, so a replay racing the first exchange revokes
 * its tokens whichever runs first (RFC 6749 s4.1.2).
 */
export class CodeReplayedAt1765500000000 implements MigrationInterface {
  name = 'CodeReplayedAt1765500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE authorization_codes ADD COLUMN replayed_at timestamptz');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE authorization_codes DROP COLUMN replayed_at');
  }
}
