import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Algorithm } from './raw-signing';

/** What a benchmark's auth-server process is started with. */
export interface AuthServerSetup {
  /** Names the temporary data directory (`authkit-bench-<name>-...`). */
  readonly name: string;
  readonly port: number;
  /** The bootstrap file's content (clients and users, CONTRACT format). */
  readonly bootstrap: unknown;
  readonly alg: Algorithm;
  readonly audience: string;
  readonly logLevel: string;
  /** A fresh database of a real PostgreSQL; the embedded one when undefined. */
  readonly databaseUrl: string | undefined;
  /** Variables particular to one benchmark. */
  readonly extra?: NodeJS.ProcessEnv;
}

/**
 * A temporary data directory holding the bootstrap file (mode 0600), and the environment of
 * an auth-server process on 127.0.0.1 using it. The caller removes the directory.
 */
export async function authServerEnvironment(setup: AuthServerSetup): Promise<{ dataDir: string; env: NodeJS.ProcessEnv }> {
  const dataDir = await mkdtemp(join(tmpdir(), `authkit-bench-${setup.name}-`));
  const bootstrapFile = join(dataDir, 'bootstrap.json');
  await writeFile(bootstrapFile, JSON.stringify(setup.bootstrap), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    TMPDIR: process.env['TMPDIR'],
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(setup.port),
    AUTH_ISSUER: `http://127.0.0.1:${setup.port}`,
    AUTH_DEFAULT_AUDIENCE: setup.audience,
    AUTH_SIGNING_ALG: setup.alg,
    AUTH_BOOTSTRAP_FILE: bootstrapFile,
    DATA_DIR: dataDir,
    LOG_LEVEL: setup.logLevel,
    // One client from one address sends every request: the token endpoint's per-address and
    // per-client limits would answer 429 within seconds. The limiter still runs (and is
    // measured); only its limit is out of reach.
    RATE_LIMIT_TOKEN_PER_MINUTE: '10000000',
    ...setup.extra,
    ...(setup.databaseUrl ? { DATABASE_URL: setup.databaseUrl } : {}),
  };
  return { dataDir, env };
}
