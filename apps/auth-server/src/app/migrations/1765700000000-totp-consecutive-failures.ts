import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consecutive wrong authenticator codes per user, reset by a right one: past a limit the
 * authenticator is locked until a recovery code or an operator unlocks it (NIST SP 800-63B
 * s5.2.2: at most 100 consecutive failed attempts per account).
 */
export class TotpConsecutiveFailures1765700000000 implements MigrationInterface {
  name = 'TotpConsecutiveFailures1765700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE user_totp ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE user_totp DROP COLUMN consecutive_failures');
  }
}
