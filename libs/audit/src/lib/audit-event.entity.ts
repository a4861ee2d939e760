import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JsonValue } from './audit-event.interface';

/**
 * One row of the append-only audit log. The database refuses UPDATE and DELETE on this
 * table (trigger `audit_events_append_only`) except inside the retention purge; `hash`
 * chains each row to the one before it (see `chain-hash.ts`).
 */
@Entity({ name: 'audit_events' })
@Index('audit_events_user_idx', ['userId', 'seq'])
@Index('audit_events_type_idx', ['type', 'seq'])
@Index('audit_events_time_idx', ['occurredAt'])
export class AuditEventEntity {
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'uuid', unique: true })
  id!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  outcome!: string;

  @Column({ name: 'actor_type', type: 'text', nullable: true })
  actorType!: string | null;

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId!: string | null;

  @Column({ name: 'subject_type', type: 'text', nullable: true })
  subjectType!: string | null;

  @Column({ name: 'subject_id', type: 'text', nullable: true })
  subjectId!: string | null;

  /** The user the event concerns (actor or subject), for per-user queries. */
  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb' })
  details!: Record<string, JsonValue>;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}

/**
 * The single row that holds the chain's head (last sequence number and hash) and its
 * anchor (the state just before the oldest retained row, moved by the retention purge).
 * Writers lock it, so appends from every instance form one chain.
 */
@Entity({ name: 'audit_chain' })
export class AuditChainEntity {
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  @Column({ name: 'head_seq', type: 'bigint' })
  headSeq!: string;

  @Column({ name: 'head_hash', type: 'char', length: 64 })
  headHash!: string;

  @Column({ name: 'anchor_seq', type: 'bigint' })
  anchorSeq!: string;

  @Column({ name: 'anchor_hash', type: 'char', length: 64 })
  anchorHash!: string;
}
