import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AUDIT_MODULE_OPTIONS, type AuditModuleOptions } from './audit-module-definition';
import { isAuditEventType } from './audit-event-type';
import type { AuditEventInput, AuditParty } from './audit-event.interface';
import { AuditSink } from './audit-sink.interface';
import { AuditUnavailableError, InvalidAuditEventError } from './error-codes';
import type { PendingEvent } from './pending-event';
import { cleanString, redactDetails } from './redact';

const DEFAULT_BUFFER_LIMIT = 50_000; // events; about 25 MB at 500 bytes each
const DEFAULT_BATCH_SIZE = 1_000; // events per transaction
const DEFAULT_FLUSH_INTERVAL_MS = 50;
const DEFAULT_SHUTDOWN_FLUSH_TIMEOUT_MS = 10_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000; // an unreachable database is retried at least this often

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Counters for metrics and readiness. */
export interface AuditStats {
  readonly buffered: number;
  readonly written: number;
  readonly failedAttempts: number;
  readonly rejected: number;
  readonly healthy: boolean;
}

/**
 * Records security events. `record` only validates, redacts and buffers: it never waits
 * on the database. A single writer loop per instance drains the buffer in batches
 * through the {@link AuditSink}; a failed batch stays at the head of the buffer and is
 * retried with backoff, so no event is lost while the database is away. When the buffer
 * is full, `record` throws {@link AuditUnavailableError} (503).
 */
@Injectable()
export class AuditService implements OnApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private readonly buffer: PendingEvent[] = [];
  private readonly waiters = new Map<string, Waiter>();
  private readonly bufferLimit: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private retryDelayMs = 0;
  private stats = { written: 0, failedAttempts: 0, rejected: 0 };

  constructor(
    @Inject(AuditSink) private readonly sink: AuditSink,
    @Inject(AUDIT_MODULE_OPTIONS) private readonly options: AuditModuleOptions,
  ) {
    this.bufferLimit = options.bufferLimit ?? DEFAULT_BUFFER_LIMIT;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  }

  /**
   * Accepts an event for writing and returns its id.
   *
   * @throws AuditUnavailableError when the buffer is full (the caller's action must fail with 503).
   * @throws InvalidAuditEventError when the type is not in the catalogue.
   */
  record(input: AuditEventInput): string {
    const event = this.prepare(input);
    if (this.buffer.length >= this.bufferLimit) {
      this.stats.rejected += 1;
      throw new AuditUnavailableError();
    }
    this.buffer.push(event);
    this.schedule(this.buffer.length >= this.batchSize ? 0 : this.flushIntervalMs);
    return event.id;
  }

  /** Like {@link record}, and resolves once the event is committed to the database. */
  recordDurably(input: AuditEventInput): Promise<string> {
    const id = this.record(input);
    return new Promise<string>((resolve, reject) => {
      this.waiters.set(id, { resolve: () => resolve(id), reject });
    });
  }

  /** Resolves when everything recorded so far is committed, or rejects after `timeoutMs`. */
  async flush(timeoutMs = DEFAULT_SHUTDOWN_FLUSH_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length > 0 || this.writing) {
      if (Date.now() > deadline) {
        throw new Error(`audit flush timed out with ${this.buffer.length} events still buffered`);
      }
      this.schedule(0);
      await (this.writing ?? new Promise((resolve) => setTimeout(resolve, 10)));
    }
  }

  getStats(): AuditStats {
    return {
      buffered: this.buffer.length,
      ...this.stats,
      healthy: this.retryDelayMs === 0,
    };
  }

  /** Graceful shutdown: drain the buffer before the database closes. */
  async onApplicationShutdown(): Promise<void> {
    try {
      await this.flush(this.options.shutdownFlushTimeoutMs ?? DEFAULT_SHUTDOWN_FLUSH_TIMEOUT_MS);
    } catch (error) {
      this.logger.error(`${(error as Error).message}; those events are lost`);
    } finally {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private prepare(input: AuditEventInput): PendingEvent {
    if (!isAuditEventType(input.type)) {
      throw new InvalidAuditEventError(`unknown audit event type ${JSON.stringify(String(input.type)).slice(0, 80)}`);
    }
    if (input.outcome !== 'success' && input.outcome !== 'failure') {
      throw new InvalidAuditEventError('audit event outcome must be success or failure');
    }
    const context = this.options.context?.() ?? {};
    return {
      id: randomUUID(),
      occurredAt: new Date().toISOString(),
      type: input.type,
      outcome: input.outcome,
      actor: party(input.actor),
      subject: party(input.subject),
      ip: text(input.ip ?? context.ip),
      userAgent: text(input.userAgent ?? context.userAgent),
      requestId: text(input.requestId ?? context.requestId),
      details: redactDetails(input.details),
    };
  }

  private schedule(delayMs: number): void {
    if (this.writing) return; // the loop re-schedules itself when the batch is done
    const delay = Math.max(delayMs, this.retryDelayMs);
    if (this.timer && delay > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writeBatch().finally(() => {
        this.writing = undefined;
        if (this.buffer.length > 0) this.schedule(this.buffer.length >= this.batchSize ? 0 : this.flushIntervalMs);
      });
    }, delay);
    this.timer.unref?.();
  }

  private async writeBatch(): Promise<void> {
    const batch = this.buffer.slice(0, this.batchSize);
    if (batch.length === 0) return;
    const retry = this.retryDelayMs > 0;
    try {
      await this.sink.append(batch, retry);
    } catch (error) {
      this.stats.failedAttempts += 1;
      this.retryDelayMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryDelayMs * 2));
      // The message of a driver error names the failure (connection refused, timeout); it
      // never holds event content, since events travel as bound parameters.
      this.logger.warn(
        `audit batch of ${batch.length} events not written (${errorKind(error)}); ${this.buffer.length} buffered, retrying in ${this.retryDelayMs} ms`,
      );
      return;
    }
    this.retryDelayMs = 0;
    this.buffer.splice(0, batch.length);
    this.stats.written += batch.length;
    for (const event of batch) {
      const waiter = this.waiters.get(event.id);
      if (waiter) {
        this.waiters.delete(event.id);
        waiter.resolve();
      }
    }
  }
}

function text(value: string | undefined): string | null {
  return value === undefined ? null : cleanString(value);
}

function party(value: AuditEventInput['actor']): AuditParty | null {
  return value ? { type: cleanString(value.type), id: cleanString(value.id) } : null;
}

function errorKind(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return [name, code].filter((part) => typeof part === 'string').join(' ') || 'error';
}
