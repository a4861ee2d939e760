import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { HttpExceptionFilter } from './http-exception.filter';
import { createLogger } from './logging';
import { MetricsController } from './metrics.controller';
import { MetricsInterceptor } from './metrics.interceptor';
import { MetricsService } from './metrics.service';
import { OBSERVABILITY_OPTIONS, type ObservabilityOptions } from './observability-options';
import { PinoNestLogger } from './pino-nest.logger';

/** Injection token of the service's pino logger. */
export const PINO_LOGGER = Symbol('PINO_LOGGER');

/**
 * Structured logs, Prometheus metrics at `/metrics`, and the error filter that keeps
 * stack traces out of responses. The app installs the request plumbing on Fastify with
 * `instrumentFastify` and uses `PinoNestLogger` as Nest's logger.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const logger = createLogger(options);
    return {
      module: ObservabilityModule,
      global: true,
      controllers: [MetricsController],
      providers: [
        { provide: OBSERVABILITY_OPTIONS, useValue: options },
        { provide: PINO_LOGGER, useValue: logger },
        { provide: PinoNestLogger, useValue: new PinoNestLogger(logger) },
        MetricsService,
        { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
      exports: [MetricsService, OBSERVABILITY_OPTIONS, PINO_LOGGER, PinoNestLogger],
    };
  }
}
