import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second factors: one TOTP authenticator per user (its secret encrypted under the KEK; the
 * last time step accepted, for RFC 6238 s5.2 replay protection) and the user's recovery
 * codes, stored only as keyed hashes, each usable once.
 */
export class SecondFactors1765600000000 implements MigrationInterface {
  name = 'SecondFactors1765600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE user_totp (
      user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      secret_ciphertext text NOT NULL,
      confirmed_at timestamptz,
      last_used_step bigint,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await runner.query(`CREATE TABLE recovery_codes (
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, code_hash)
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE recovery_codes');
    await runner.query('DROP TABLE user_totp');
  }
}
