import type { AuditEvent } from './audit-event.interface';

/**
 * An event accepted by the service and waiting in the buffer: everything but its place in
 * the chain (`seq`) and its `hash`, which the writer assigns under the chain lock.
 */
export type PendingEvent = Omit<AuditEvent, 'seq' | 'hash'>;
