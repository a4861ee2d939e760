import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { ObservabilityOptions } from './observability-options';
import { REDACT_PATHS, scrubText } from './redaction';
import { requestIdOf } from './request-context';

/**
 * nestjs-pino settings: one JSON line per event, the request id on every line of a
 * request, credentials redacted by path and by pattern, query strings never logged
 * (they may carry codes or tokens).
 */
export function loggerParams(options: ObservabilityOptions): Params {
  const logger = pino(
    {
      level: options.logLevel,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // Every finished line passes through scrubText on its way out, whichever logger,
      // serializer or error stack produced it: the last guard against a credential in text.
      hooks: { streamWrite: scrubText },
    },
    options.logDestination ?? pino.destination({ sync: true }),
  );
  return {
    pinoHttp: {
      logger,
      genReqId: (req: IncomingMessage) => requestIdOf(req),
      customAttributeKeys: { reqId: 'request_id' },
      quietReqLogger: true,
      quietResLogger: false,
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
          method: req.method,
          path: (req.url ?? '').split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
      },
    },
    renameContext: 'context',
  };
}
