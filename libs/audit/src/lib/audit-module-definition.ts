import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AuditRequestContext } from './audit-event.interface';

/** Options of {@link AuditModule}. Every member has a safe default. */
export interface AuditModuleOptions {
  /**
   * Events held in memory while the database is slow or unreachable. When the buffer
   * is full, `record` throws `AuditUnavailableError` (HTTP 503) rather than drop an event.
   * Default 50,000.
   */
  readonly bufferLimit?: number;
  /** Events written per transaction. Default 1,000. */
  readonly batchSize?: number;
  /** Longest wait before a partly filled batch is written, in ms. Default 50. */
  readonly flushIntervalMs?: number;
  /** Longest wait at shutdown for the buffer to drain, in ms. Default 10,000. */
  readonly shutdownFlushTimeoutMs?: number;
  /** The current request's IP, user agent and request id, merged into every event. */
  readonly context?: () => AuditRequestContext | undefined;
}

export const {
  ConfigurableModuleClass: AuditConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_MODULE_OPTIONS,
  OPTIONS_TYPE: AUDIT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
