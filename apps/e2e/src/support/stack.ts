import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '@authkit/testing';

const ROOT = resolve(__dirname, '../../../..');
const READY_TIMEOUT_MS = 90_000; // first start of the embedded database included
/** demo-web's access token lifetime in this stack; the demo refreshes when less than 30 s are left. */
export const ACCESS_TOKEN_TTL_S = 36;

/** A user of the stack, with the password the browser types. */
export interface StackUser {
  readonly email: string;
  readonly password: string;
}

/** auth-server and demo, built and running as separate processes, as `npm start` runs them. */
export interface Stack {
  readonly authUrl: string;
  readonly demoUrl: string;
  readonly user: StackUser;
  /** Everything both processes wrote so far (for secret scans and failure reports). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the built auth-server and demo on free ports of 127.0.0.1 with a bootstrap file
 * (the demo's confidential client, consent not skipped, and one user), on embedded
 * PostgreSQL in a temporary `DATA_DIR` or on a fresh database of `DATABASE_URL`.
 * `REDIS_URL` is passed through when set, so the Redis-backed stores are exercised too.
 */
export async function startStack(kind: TestDatabaseKind): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'authkit-e2e-'));
  const database: TestDatabase | undefined = kind === 'postgres' ? await createTestDatabase('postgres') : undefined;
  const [authPort, demoPort] = [await freePort(), await freePort()];
  const authUrl = `http://127.0.0.1:${authPort}`;
  const demoUrl = `http://127.0.0.1:${demoPort}`;
  // A fresh account per stack: with REDIS_URL the login throttle's per-account counters
  // (10 attempts per 15 minutes) are shared by every run against that Redis.
  const user = { email: `alice-${randomBytes(4).toString('hex')}@example.com`, password: randomBytes(12).toString('base64url') };
  const demoSecret = randomBytes(32).toString('base64url');
  const bootstrapFile = join(dataDir, 'bootstrap.json');
  await writeFile(
    bootstrapFile,
    JSON.stringify({
      clients: [
        {
          client_id: 'demo-web',
          client_name: 'Demo',
          client_secret: demoSecret,
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: [`${demoUrl}/auth/callback`],
          scope: 'openid profile email offline_access demo:read',
          token_endpoint_auth_method: 'client_secret_post',
          // Short-lived access tokens, so that the browser test sees the demo refresh one.
          access_token_ttl: ACCESS_TOKEN_TTL_S,
        },
      ],
      users: [{ email: user.email, password: user.password, roles: ['admin'] }],
    }),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(authPort),
    DEMO_PORT: String(demoPort),
    AUTH_ISSUER: authUrl,
    DEMO_PUBLIC_URL: demoUrl,
    AUTH_DEFAULT_AUDIENCE: `${demoUrl}/api`,
    DATA_DIR: dataDir,
    AUTH_BOOTSTRAP_FILE: bootstrapFile,
    DEMO_CLIENT_ID: 'demo-web',
    DEMO_CLIENT_SECRET: demoSecret,
    LOG_LEVEL: 'info',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...(process.env['REDIS_URL'] ? { REDIS_URL: process.env['REDIS_URL'] } : {}),
  };
  const chunks: string[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(terminate));
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const authServer = launch('dist/apps/auth-server/main.js', env, chunks);
    children.push(authServer);
    await waitFor(`${authUrl}/health/ready`, authServer, chunks);
    const demo = launch('dist/apps/demo/main.js', env, chunks);
    children.push(demo);
    await waitFor(`${demoUrl}/health`, demo, chunks);
  } catch (error) {
    await stop();
    throw error;
  }
  return { authUrl, demoUrl, user, output: () => chunks.join(''), stop };
}

function launch(main: string, env: NodeJS.ProcessEnv, chunks: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, main)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (data: Buffer) => chunks.push(data.toString()));
  child.stderr?.on('data', (data: Buffer) => chunks.push(data.toString()));
  return child;
}

async function waitFor(url: string, child: ChildProcess, chunks: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited (${child.exitCode}):\n${chunks.join('').slice(-4000)}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${READY_TIMEOUT_MS} ms:\n${chunks.join('').slice(-4000)}`);
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}
