import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AppConfig } from '@authkit/config';
import type { DatabaseLocation } from '@authkit/database';
import { captureLogs } from '@authkit/testing';
import { createAuthServer } from '../src/server';

/** A running auth-server on a free port of 127.0.0.1, with its log lines captured. */
export interface RunningAuthServer {
  readonly app: NestFastifyApplication;
  /** `http://127.0.0.1:<port>`; also the issuer unless `AUTH_ISSUER` was given. */
  readonly url: string;
  readonly config: AppConfig;
  readonly logs: ReturnType<typeof captureLogs>;
  close(): Promise<void>;
}

/** Every app of a test file writes to one capture, so assertions see all of a file's lines. */
const logs = captureLogs();

/** A fixed key-encryption key for tests. */
export const TEST_KEK = randomBytes(32);

const LISTEN_ATTEMPTS = 5; // the free port may be taken between probing and listening

/**
 * Starts auth-server on a free port of 127.0.0.1. The port is chosen before the
 * configuration is loaded, so the issuer is the URL the server really answers on
 * (`http://127.0.0.1:<port>`) and relying parties can use discovery unchanged. `env`
 * overrides any of it, `AUTH_ISSUER` included.
 *
 * @throws whatever stops the server from starting (an invalid bootstrap file, say); the
 *   half-started application is closed first.
 */
export async function startAuthServer(
  database: DatabaseLocation,
  env: NodeJS.ProcessEnv = {},
  beforeListen?: (app: NestFastifyApplication) => void,
): Promise<RunningAuthServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      AUDIT_FLUSH_INTERVAL_MS: '5',
      PORT: String(port),
      AUTH_ISSUER: url,
      ...env,
    });
    const app = await createAuthServer({ config, database, kek: TEST_KEK, logDestination: logs.stream });
    beforeListen?.(app);
    try {
      await app.listen({ port, host: '127.0.0.1' });
    } catch (error) {
      await app.close().catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < LISTEN_ATTEMPTS) continue;
      throw error;
    }
    return { app, url, config, logs, close: () => app.close() };
  }
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
