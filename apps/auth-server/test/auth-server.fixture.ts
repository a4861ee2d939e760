import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@authkit/config';
import type { DatabaseLocation } from '@authkit/database';
import { captureLogs } from '@authkit/testing';
import { createAuthServer } from '../src/server';

/** A running auth-server on a free port of 127.0.0.1, with its log lines captured. */
export interface RunningAuthServer {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly config: AppConfig;
  readonly logs: ReturnType<typeof captureLogs>;
  close(): Promise<void>;
}

/**
 * nestjs-pino keeps one root logger per process: the first app created in a test file
 * keeps writing there for the apps after it. So every app of a file shares one capture.
 */
const logs = captureLogs();

/** A fixed key-encryption key for tests. */
export const TEST_KEK = randomBytes(32);

export async function startAuthServer(
  database: DatabaseLocation,
  env: NodeJS.ProcessEnv = {},
  beforeListen?: (app: NestFastifyApplication) => void,
): Promise<RunningAuthServer> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', AUDIT_FLUSH_INTERVAL_MS: '5', ...env });
  const app = await createAuthServer({ config, database, kek: TEST_KEK, logDestination: logs.stream });
  beforeListen?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, config, logs, close: () => app.close() };
}
