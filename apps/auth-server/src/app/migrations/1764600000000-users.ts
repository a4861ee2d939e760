import type { MigrationInterface, QueryRunner } from 'typeorm';

/** User accounts: email (unique regardless of case), argon2id password hash, roles, disabled flag. */
export class Users1764600000000 implements MigrationInterface {
  name = 'Users1764600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE users (
        id                  uuid PRIMARY KEY,
        email               text NOT NULL,
        password_hash       text NOT NULL,
        roles               text[] NOT NULL DEFAULT '{}',
        disabled            boolean NOT NULL DEFAULT false,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        password_changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE UNIQUE INDEX users_email_idx ON users (lower(email))');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE users');
  }
}
