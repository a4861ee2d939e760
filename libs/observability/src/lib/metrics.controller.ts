import { Controller, Get, Header } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** `GET /metrics`: Prometheus text exposition. Carries counts and timings only, no identifiers. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metrics.text();
  }
}
