import { HttpStatus, ServiceUnavailableException } from '@nestjs/common';

/** Stable error codes of the audit library. Clients branch on these, never on messages. */
export type AuditErrorCode = 'audit_unavailable' | 'invalid_audit_event';

/**
 * The audit buffer is full (the database has been unreachable for a while): the action
 * that needed auditing must fail rather than happen unrecorded. Maps to HTTP 503.
 */
export class AuditUnavailableError extends ServiceUnavailableException {
  readonly code: AuditErrorCode = 'audit_unavailable';

  constructor() {
    super(
      { error: 'audit_unavailable', error_description: 'The security event log is temporarily unavailable; retry later.' },
      { description: 'audit_unavailable' },
    );
  }

  /** Seconds a client should wait before retrying (sent as `Retry-After`). */
  readonly retryAfterSeconds = 5;
  override getStatus(): number {
    return HttpStatus.SERVICE_UNAVAILABLE;
  }
}

/** A caller passed an event outside the catalogue: a programming error, thrown as `TypeError`. */
export class InvalidAuditEventError extends TypeError {
  readonly code: AuditErrorCode = 'invalid_audit_event';
}
