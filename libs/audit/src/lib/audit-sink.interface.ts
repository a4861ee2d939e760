import type { PendingEvent } from './pending-event';

/**
 * Where batches of events are appended. The PostgreSQL implementation is
 * {@link AuditChainWriter}; tests and other stores can provide their own.
 */
export interface AuditSink {
  /**
   * Appends the events to the chain, in order, atomically: either all are stored or none.
   * `retry` is true when an earlier attempt of the same batch failed, so events that
   * were in fact committed before the connection dropped must not be stored twice.
   */
  append(events: readonly PendingEvent[], retry: boolean): Promise<void>;
}

/** Injection token of the {@link AuditSink}. */
export const AuditSink = Symbol('AuditSink');
