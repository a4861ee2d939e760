export { ObservabilityModule } from './lib/observability.module';
export type { ObservabilityOptions } from './lib/observability-options';
export { RequestContext, requestIdOf, type RequestContextValue } from './lib/request-context';
export { clientIpResolver, type TrustedProxies } from './lib/client-ip';
export { MetricsService } from './lib/metrics.service';
export { HttpExceptionFilter, type ErrorBody } from './lib/http-exception.filter';
export { scrubText, REDACT_PATHS } from './lib/redaction';
export { fastifyServerOptions, exposeRequestId } from './lib/fastify-options';
