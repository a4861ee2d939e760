import type { AuditEventType } from './audit-event-type';

/** A JSON value, as event details hold them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Who acted, or what was acted upon. */
export interface AuditParty {
  readonly type: 'user' | 'client' | 'system' | (string & {});
  readonly id: string;
}

/** Where a request came from; the app supplies it per request (see `AuditModuleOptions.context`). */
export interface AuditRequestContext {
  readonly ip?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
}

/** What a caller records. Details must describe, never carry, a credential. */
export interface AuditEventInput extends AuditRequestContext {
  readonly type: AuditEventType;
  readonly outcome: 'success' | 'failure';
  readonly actor?: AuditParty;
  readonly subject?: AuditParty;
  readonly details?: Readonly<Record<string, JsonValue>>;
}

/** A stored event, as queries return it. */
export interface AuditEvent {
  readonly id: string;
  /** Position in the hash chain; increases by one per event across all writers. */
  readonly seq: string;
  readonly occurredAt: string;
  readonly type: AuditEventType;
  readonly outcome: 'success' | 'failure';
  readonly actor: AuditParty | null;
  readonly subject: AuditParty | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
  readonly details: Record<string, JsonValue>;
  readonly hash: string;
}
