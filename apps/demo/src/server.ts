import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from '@authkit/config';
import { exposeRequestId, fastifyServerOptions } from '@authkit/observability';
import { DemoModule } from './app/app.module';

/** Creates the demo application on Fastify (not yet listening). */
export async function createDemo(config: AppConfig, logDestination?: DestinationStream): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ ...fastifyServerOptions(config.trustProxy), bodyLimit: 16 * 1024 });
  const app = await NestFactory.create<NestFastifyApplication>(DemoModule.forRoot(config, logDestination), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  exposeRequestId(app.getHttpAdapter().getInstance());
  app.useLogger(app.get(Logger));
  return app;
}
