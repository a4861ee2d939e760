import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { fastifyServerOptions, instrumentFastify, PINO_LOGGER, PinoNestLogger } from '@authkit/observability';
import { AppModule, type AuthServerRuntime } from './app/app.module';
import { resolveKek } from './app/crypto/dev-kek';
import { readAnyBodyOnFormEndpoints } from './app/oauth/form-endpoints.body-parser';

const BODY_LIMIT_BYTES = 64 * 1024; // protocol requests are small; larger bodies get 413

/**
 * Creates the auth-server application on Fastify (not yet listening). Fastify serves
 * several times the requests of Express on the same machine (see the README), and the
 * token endpoint is the hot path.
 */
export async function createAuthServer(
  options: Omit<AuthServerRuntime, 'kek'> & { kek?: Buffer },
): Promise<NestFastifyApplication> {
  const runtime: AuthServerRuntime = {
    ...options,
    kek: options.kek ?? (await resolveKek(options.config, (message) => process.stderr.write(`auth-server: ${message}\n`))),
  };
  const adapter = new FastifyAdapter({
    ...fastifyServerOptions(runtime.config.trustProxy),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 256 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  readAnyBodyOnFormEndpoints(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(runtime), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  instrumentFastify(app.getHttpAdapter().getInstance(), { logger: app.get(PINO_LOGGER), trustProxy: runtime.config.trustProxy });
  app.useLogger(app.get(PinoNestLogger));
  return app;
}
