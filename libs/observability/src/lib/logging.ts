import pino, { type Logger } from 'pino';
import type { ObservabilityOptions } from './observability-options';
import { REDACT_PATHS, scrubText } from './redaction';
import { RequestContext } from './request-context';

/**
 * The service's pino logger: one JSON line per event; `request_id` on every line written
 * while a request is served (taken from the {@link RequestContext}, so Nest's own log calls
 * carry it too); credentials redacted by path; and every finished line passed through
 * {@link scrubText}, whichever logger, serializer or error stack produced it.
 */
export function createLogger(options: ObservabilityOptions): Logger {
  return pino(
    {
      level: options.logLevel,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const context = RequestContext.current();
        return context ? { request_id: context.requestId } : {};
      },
      hooks: { streamWrite: scrubText },
    },
    options.logDestination ?? pino.destination({ sync: true }),
  );
}
