import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditSink } from './audit-sink.interface';
import { chainHash } from './chain-hash';
import type { PendingEvent } from './pending-event';

/**
 * Appends events to the hash chain in PostgreSQL. One transaction per batch: lock the
 * chain head (`SELECT ... FOR UPDATE`, which serialises writers of every instance),
 * chain the batch in memory, insert it with one statement over arrays, move the head.
 * Three round trips per batch, however large the batch.
 */
@Injectable()
export class AuditChainWriter implements AuditSink {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async append(events: readonly PendingEvent[], retry: boolean): Promise<void> {
    if (events.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      const [head] = (await manager.query('SELECT head_seq, head_hash FROM audit_chain WHERE id = 1 FOR UPDATE')) as {
        head_seq: string;
        head_hash: string;
      }[];
      if (!head) throw new Error('audit_chain has no head row: the audit migrations have not run');
      const fresh = retry ? await this.notYetStored(manager, events) : events;
      if (fresh.length === 0) return;

      let seq = BigInt(head.head_seq);
      let previous = head.head_hash;
      const columns = INSERT_COLUMNS.map(() => new Array<string | null>(fresh.length));
      fresh.forEach((event, i) => {
        seq += 1n;
        const position = seq.toString();
        previous = chainHash(previous, event, position);
        const row = [
          position,
          event.id,
          event.occurredAt,
          event.type,
          event.outcome,
          event.actor?.type ?? null,
          event.actor?.id ?? null,
          event.subject?.type ?? null,
          event.subject?.id ?? null,
          userOf(event),
          event.ip,
          event.userAgent,
          event.requestId,
          JSON.stringify(event.details),
          previous,
        ];
        columns.forEach((column, c) => (column[i] = row[c] ?? null));
      });
      // One array parameter per column (a JSON document of rows instead cost PostgreSQL
      // twice the CPU per event to take apart).
      await manager.query(INSERT_BATCH, columns);
      await manager.query('UPDATE audit_chain SET head_seq = $1, head_hash = $2 WHERE id = 1', [seq.toString(), previous]);
    });
  }

  /** After a lost connection the batch may have committed; keep only what is not stored. */
  private async notYetStored(manager: EntityManager, events: readonly PendingEvent[]): Promise<readonly PendingEvent[]> {
    const stored = (await manager.query('SELECT id FROM audit_events WHERE id = ANY($1::uuid[])', [
      events.map((e) => e.id),
    ])) as { id: string }[];
    if (stored.length === 0) return events;
    const storedIds = new Set(stored.map((row) => row.id));
    return events.filter((event) => !storedIds.has(event.id));
  }
}

function userOf(event: PendingEvent): string | null {
  if (event.actor?.type === 'user') return event.actor.id;
  if (event.subject?.type === 'user') return event.subject.id;
  return null;
}

/** The columns of INSERT_BATCH, in the order of its array parameters. */
const INSERT_COLUMNS = [
  'seq', 'id', 'occurred_at', 'type', 'outcome', 'actor_type', 'actor_id', 'subject_type', 'subject_id',
  'user_id', 'ip', 'user_agent', 'request_id', 'details', 'hash',
] as const;

const INSERT_BATCH = `
  INSERT INTO audit_events (${INSERT_COLUMNS.join(', ')})
  SELECT seq, id, occurred_at, type, outcome, actor_type, actor_id, subject_type, subject_id,
         user_id, ip, user_agent, request_id, details::jsonb, hash
  FROM unnest($1::bigint[], $2::uuid[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
    AS t(${INSERT_COLUMNS.join(', ')})`;
