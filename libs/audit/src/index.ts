import { AuditChainEntity, AuditEventEntity } from './lib/audit-event.entity';
import { AuditLog1764400000000 } from './lib/migrations/1764400000000-audit-log';

export { AUDIT_EVENT_TYPES, isAuditEventType, type AuditEventType } from './lib/audit-event-type';
export type { AuditEvent, AuditEventInput, AuditParty, AuditRequestContext, JsonValue } from './lib/audit-event.interface';
export type { AuditModuleOptions } from './lib/audit-module-definition';
export { AuditModule } from './lib/audit.module';
export { AuditService, type AuditStats } from './lib/audit.service';
export { AuditQueryService, type AuditPage, type AuditQuery } from './lib/audit-query.service';
export { AuditVerifierService, type AuditVerification } from './lib/audit-verifier.service';
export { AuditRetentionService, type AuditPurgeResult } from './lib/audit-retention.service';
export { AuditSink } from './lib/audit-sink.interface';
export { AuditChainWriter } from './lib/audit-chain.writer';
export type { PendingEvent } from './lib/pending-event';
export { AuditUnavailableError, InvalidAuditEventError, type AuditErrorCode } from './lib/error-codes';
export { REDACTED, isSecretName, redactDetails } from './lib/redact';

/** Entities the app adds to its TypeORM connection. */
export const AUDIT_ENTITIES = [AuditEventEntity, AuditChainEntity];
/** Migrations the app adds to its TypeORM connection. */
export const AUDIT_MIGRATIONS = [AuditLog1764400000000];
