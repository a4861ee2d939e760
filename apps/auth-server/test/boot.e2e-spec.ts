import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// Boots auth-server as a real process, from source, the way `npm start` runs it.
const root = join(__dirname, '../../..');

interface Started {
  readonly exit: Promise<{ code: number | null; stderr: string }>;
  readonly port: Promise<number>;
  signal(name: NodeJS.Signals): void;
}

function boot(env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, ['-r', './libs/testing/farm/register-ts.cjs', 'apps/auth-server/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env['PATH'], LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as { msg?: string; port?: number };
      if (parsed.msg === 'listening' && parsed.port) resolve(parsed.port);
    });
    child.once('exit', () => reject(new Error(`exited before listening: ${stderr}`)));
  });
  port.catch(() => undefined);
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  return { exit, port, signal: (name) => child.kill(name) };
}

describe('auth-server process', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'authkit-boot-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('stops at boot on an invalid variable, naming it and its expected form', async () => {
    const { code, stderr } = await boot({ AUTH_ISSUER: 'ftp://auth.example.com', DATA_DIR: dataDir }).exit;
    expect(code).toBe(1);
    expect(stderr).toMatch(/AUTH_ISSUER must be an absolute http\(s\) URL/);
  });

  it('refuses unsafe production settings, naming each', async () => {
    const { code, stderr } = await boot({ NODE_ENV: 'production', DATA_DIR: dataDir }).exit;
    expect(code).toBe(1);
    for (const variable of ['AUTH_ISSUER', 'AUTH_KEK', 'DATABASE_URL']) expect(stderr).toContain(variable);
  });

  it('serves /health on the embedded database and shuts down cleanly on SIGTERM', async () => {
    const server = boot({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
    const port = await server.port;
    const health = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(health.status).toBe(200);
    server.signal('SIGTERM');
    const { code } = await server.exit;
    expect(code).toBe(0);
    // The data directory is released: a second instance can start on it.
    const again = boot({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
    await again.port;
    again.signal('SIGINT');
    expect((await again.exit).code).toBe(0);
  });
});
