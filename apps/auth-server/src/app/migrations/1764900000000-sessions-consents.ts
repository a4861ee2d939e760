import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Server-side sign-in sessions, stored only by the SHA-256 of their cookie value (OWASP
 * ASVS 5.0 V7.2.3), with idle and absolute expiries (V7.3.1, V7.3.2); and remembered
 * consent, one row per user and client. Both go with their user; consents go with their
 * client too.
 */
export class SessionsConsents1764900000000 implements MigrationInterface {
  name = 'SessionsConsents1764900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE user_sessions (
        id                  uuid PRIMARY KEY,
        token_hash          char(64) NOT NULL UNIQUE,
        user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        auth_time           bigint NOT NULL,
        amr                 text[] NOT NULL,
        created_at          timestamptz NOT NULL,
        last_seen_at        timestamptz NOT NULL,
        idle_expires_at     timestamptz NOT NULL,
        absolute_expires_at timestamptz NOT NULL,
        ended_at            timestamptz,
        ip                  text CHECK (char_length(ip) <= 64),
        user_agent          text CHECK (char_length(user_agent) <= 256),
        CHECK (idle_expires_at <= absolute_expires_at)
      )`);
    await runner.query('CREATE INDEX user_sessions_user_idx ON user_sessions (user_id)');
    await runner.query('CREATE INDEX user_sessions_expiry_idx ON user_sessions (idle_expires_at)');
    await runner.query(`
      CREATE TABLE consents (
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id  text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
        scope      text[] NOT NULL,
        granted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, client_id)
      )`);
    await runner.query('CREATE INDEX consents_client_idx ON consents (client_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE consents');
    await runner.query('DROP TABLE user_sessions');
  }
}
