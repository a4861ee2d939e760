import type { AuditEventType } from './audit-event-type';
import type { AuditEvent, JsonValue } from './audit-event.interface';

/** A row of `audit_events` as the `pg` driver returns it. */
export interface AuditRow {
  seq: string;
  id: string;
  occurred_at: Date;
  type: string;
  outcome: string;
  actor_type: string | null;
  actor_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, JsonValue>;
  hash: string;
}

export const AUDIT_COLUMNS =
  'seq, id, occurred_at, type, outcome, actor_type, actor_id, subject_type, subject_id, ip, user_agent, request_id, details, hash';

/** Maps a stored row back to the event whose content the chain hash covers. */
export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    seq: String(row.seq),
    occurredAt: row.occurred_at.toISOString(),
    type: row.type as AuditEventType,
    outcome: row.outcome as AuditEvent['outcome'],
    actor: row.actor_type === null || row.actor_id === null ? null : { type: row.actor_type, id: row.actor_id },
    subject: row.subject_type === null || row.subject_id === null ? null : { type: row.subject_type, id: row.subject_id },
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: row.details,
    hash: row.hash,
  };
}
