import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { HttpExceptionFilter } from './http-exception.filter';
import { loggerParams } from './logging';
import { MetricsController } from './metrics.controller';
import { MetricsInterceptor } from './metrics.interceptor';
import { MetricsService } from './metrics.service';
import { OBSERVABILITY_OPTIONS, type ObservabilityOptions } from './observability-options';
import { RequestContextMiddleware } from './request-context.middleware';

/** Every route, the root included (path-to-regexp v8 syntax). */
const ALL_ROUTES = { path: '{*path}', method: RequestMethod.ALL };

/**
 * Structured logs with request ids and redaction, the request context, Prometheus
 * metrics at `/metrics`, and the error filter that keeps stack traces out of responses.
 */
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [LoggerModule.forRoot({ ...loggerParams(options), forRoutes: [ALL_ROUTES] })],
      controllers: [MetricsController],
      providers: [
        { provide: OBSERVABILITY_OPTIONS, useValue: options },
        MetricsService,
        RequestContextMiddleware,
        { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
      exports: [MetricsService, OBSERVABILITY_OPTIONS],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestContextMiddleware).forRoutes(ALL_ROUTES);
  }
}
