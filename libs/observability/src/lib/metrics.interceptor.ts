import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { HttpException } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { MetricsService } from './metrics.service';

/** Times every HTTP request and counts it by route template and status. */
@Injectable()
export class MetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const started = process.hrtime.bigint();
    const http = context.switchToHttp();
    const request = http.getRequest<{ method: string; routeOptions?: { url?: string }; route?: { path?: string } }>();
    const route = request.routeOptions?.url ?? request.route?.path ?? 'unmatched';
    const done = (status: number) =>
      this.metrics.observe(request.method, route, status, Number(process.hrtime.bigint() - started) / 1e9);
    return next.handle().pipe(
      tap({
        next: () => undefined,
        complete: () => done(http.getResponse<{ statusCode: number }>().statusCode),
        error: (error: unknown) => done(error instanceof HttpException ? error.getStatus() : 500),
      }),
    );
  }
}
