import type { DestinationStream } from 'pino';
import type { TrustedProxies } from './client-ip';

/** Options of {@link ObservabilityModule}. */
export interface ObservabilityOptions {
  /** Names the service in every log line and metric. */
  readonly service: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly trustProxy: TrustedProxies;
  /** Where log lines go; standard output by default. Tests pass a capture stream. */
  readonly logDestination?: DestinationStream;
}

export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');
