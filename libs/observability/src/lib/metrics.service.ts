import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry, type Metric } from 'prom-client';

/**
 * The service's Prometheus registry: process metrics, HTTP request counts and
 * latencies by route template (never by raw URL, which could carry identifiers), and
 * whatever gauges the app adds with {@link register}.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one served request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  /** Adds an app metric (for example a gauge whose `collect` reads a service's stats). */
  register(metric: Metric): void {
    this.registry.registerMetric(metric);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
