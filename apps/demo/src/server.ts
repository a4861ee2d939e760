import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '@authkit/config';
import { fastifyServerOptions, instrumentFastify, PINO_LOGGER, PinoNestLogger } from '@authkit/observability';
import { DemoModule } from './app/app.module';
import type { SessionModuleOptions } from './app/session/session.module';

/**
 * Creates the demo application on Fastify (not yet listening).
 * @param sessionOptions test seams: the clock and the Redis key prefix of sessions.
 */
export async function createDemo(config: AppConfig, logDestination?: DestinationStream, sessionOptions?: SessionModuleOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ ...fastifyServerOptions(config.trustProxy), bodyLimit: 16 * 1024 });
  const app = await NestFactory.create<NestFastifyApplication>(DemoModule.forRoot(config, logDestination, sessionOptions), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  instrumentFastify(app.getHttpAdapter().getInstance(), { logger: app.get(PINO_LOGGER), trustProxy: config.trustProxy });
  app.useLogger(app.get(PinoNestLogger));
  return app;
}
