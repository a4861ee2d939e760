import type { AuditEventType } from './audit-event-type';
import type { AuditParty, JsonValue } from './audit-event.interface';

/** An event accepted by the service and waiting in the buffer; chained when written. */
export interface PendingEvent {
  readonly id: string;
  readonly occurredAt: string;
  readonly type: AuditEventType;
  readonly outcome: 'success' | 'failure';
  readonly actor: AuditParty | null;
  readonly subject: AuditParty | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
  readonly details: Record<string, JsonValue>;
}
