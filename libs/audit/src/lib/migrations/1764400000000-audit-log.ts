import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GENESIS_HASH } from '../chain-hash';

/**
 * The audit log: events, the chain head, and the triggers that make the events table
 * append-only in the database itself. The only way to remove rows is `audit_purge`,
 * which sets a transaction-local flag the trigger honours for DELETE (never UPDATE).
 */
export class AuditLog1764400000000 implements MigrationInterface {
  name = 'AuditLog1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE audit_events (
        seq          bigint PRIMARY KEY,
        id           uuid NOT NULL UNIQUE,
        occurred_at  timestamptz NOT NULL,
        type         text NOT NULL,
        outcome      text NOT NULL CHECK (outcome IN ('success', 'failure')),
        actor_type   text,
        actor_id     text,
        subject_type text,
        subject_id   text,
        user_id      text,
        ip           text,
        user_agent   text,
        request_id   text,
        details      jsonb NOT NULL DEFAULT '{}'::jsonb,
        hash         char(64) NOT NULL
      )`);
    await runner.query('CREATE INDEX audit_events_user_idx ON audit_events (user_id, seq)');
    await runner.query('CREATE INDEX audit_events_type_idx ON audit_events (type, seq)');
    await runner.query('CREATE INDEX audit_events_time_idx ON audit_events (occurred_at)');
    await runner.query(`
      CREATE TABLE audit_chain (
        id          smallint PRIMARY KEY CHECK (id = 1),
        head_seq    bigint NOT NULL,
        head_hash   char(64) NOT NULL,
        anchor_seq  bigint NOT NULL,
        anchor_hash char(64) NOT NULL
      )`);
    await runner.query('INSERT INTO audit_chain VALUES (1, 0, $1, 0, $1)', [GENESIS_HASH]);
    await runner.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('authkit.audit_purge', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await runner.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await runner.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE audit_events');
    await runner.query('DROP FUNCTION audit_events_append_only()');
    await runner.query('DROP TABLE audit_chain');
  }
}
