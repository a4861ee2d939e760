import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isAuditEventType, type AuditEventType } from './audit-event-type';
import type { AuditEvent } from './audit-event.interface';
import { AUDIT_COLUMNS, toAuditEvent, type AuditRow } from './audit-row.mapper';

/** Filters of {@link AuditQueryService.find}; all optional, combined with AND. */
export interface AuditQuery {
  /** Events whose actor or subject is this user. */
  readonly userId?: string;
  readonly type?: AuditEventType;
  /** Inclusive lower bound of `occurredAt`. */
  readonly from?: Date;
  /** Exclusive upper bound of `occurredAt`. */
  readonly to?: Date;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
  /** Page size, 1 to 500. Default 50. */
  readonly limit?: number;
}

/** One page of events, newest first. */
export interface AuditPage {
  readonly events: AuditEvent[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

const MAX_LIMIT = 500;
// PostgreSQL's timestamptz starts at 4714-11-24 BC (year -4713); JavaScript dates reach
// further back, and such a bound would fail the query instead of matching nothing.
const EARLIEST_TIMESTAMP_MS = Date.UTC(-4713, 10, 25); // a day of margin: the driver may send local time
const MAX_SEQ = 2n ** 63n - 1n; // seq is a PostgreSQL bigint

/** Reads the audit log: by user, by type, by time range, with keyset (cursor) pagination. */
@Injectable()
export class AuditQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * @throws BadRequestException (`invalid_request`) for a malformed cursor, limit or type.
   */
  async find(query: AuditQuery = {}): Promise<AuditPage> {
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid('limit must be 1 to 500');
    if (query.type !== undefined && !isAuditEventType(query.type)) throw invalid('unknown event type');
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    // PostgreSQL text cannot hold U+0000: no stored id has it, and the query would fail.
    if (query.userId?.includes('\u0000')) throw invalid('malformed user');
    if (query.userId !== undefined) add('user_id = ?', query.userId);
    if (query.type !== undefined) add('type = ?', query.type);
    if (query.from !== undefined) add('occurred_at >= ?', validDate(query.from));
    if (query.to !== undefined) add('occurred_at < ?', validDate(query.to));
    if (query.cursor !== undefined) add('seq < ?', decodeCursor(query.cursor));
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT ${AUDIT_COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    )) as AuditRow[];
    const page = rows.slice(0, limit).map(toAuditEvent);
    const last = page.at(-1);
    return { events: page, nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
  }
}

function encodeCursor(seq: string): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const seq = /^seq:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1];
  if (seq === undefined || BigInt(seq) > MAX_SEQ) throw invalid('malformed cursor');
  return seq;
}

function validDate(date: Date): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime()) || date.getTime() < EARLIEST_TIMESTAMP_MS) throw invalid('malformed time');
  return date;
}

function invalid(description: string): BadRequestException {
  return new BadRequestException({ error: 'invalid_request', error_description: description });
}
