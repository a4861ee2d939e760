import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@authkit/config';
import { captureLogs } from '@authkit/testing';
import { createDemo } from '../src/server';

// The demo API against a real auth-server process, reached over HTTP only.
const root = join(__dirname, '../../..');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('demo API protected by @authkit/auth', () => {
  let dataDir: string;
  let authServer: ChildProcess;
  let issuer: string;
  let demo: NestFastifyApplication;
  let demoUrl: string;
  let ops: { id: string; secret: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'authkit-demo-api-'));
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    authServer = spawn(process.execPath, ['-r', './libs/testing/farm/register-ts.cjs', 'apps/auth-server/src/main.ts'], {
      cwd: root,
      env: { PATH: process.env['PATH'], PORT: String(port), HOST: '127.0.0.1', AUTH_ISSUER: issuer, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: authServer.stdout! }).on('line', (line) => line.includes('"listening"') && resolve());
      authServer.once('exit', (code) => reject(new Error(`auth-server exited with ${code}`)));
    });
    const credentials = JSON.parse(await readFile(join(dataDir, 'dev-credentials.json'), 'utf8'));
    ops = { id: credentials.authctl.AUTHCTL_CLIENT_ID, secret: credentials.authctl.AUTHCTL_CLIENT_SECRET };
    const config = loadConfig({ NODE_ENV: 'test', AUTH_ISSUER: issuer, DEMO_CLIENT_SECRET: credentials.demo.DEMO_CLIENT_SECRET, DATA_DIR: dataDir });
    demo = await createDemo(config, captureLogs().stream);
    await demo.listen({ port: 0, host: '127.0.0.1' });
    demoUrl = `http://127.0.0.1:${(demo.getHttpServer().address() as { port: number }).port}`;
  }, 90_000);

  afterAll(async () => {
    await demo?.close();
    authServer?.kill('SIGTERM');
    await new Promise((resolve) => authServer?.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function token(clientId: string, secret: string, scope: string): Promise<string> {
    const response = await fetch(`${issuer}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function reportingClient(): Promise<{ id: string; secret: string }> {
    const admin = await token(ops.id, ops.secret, 'admin');
    const response = await fetch(`${issuer}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: `reporting-${Date.now()}`, grant_types: ['client_credentials'], scope: 'demo:read' }),
    });
    const created = (await response.json()) as { client_id: string; client_secret: string };
    return { id: created.client_id, secret: created.client_secret };
  }

  const call = (path: string, accessToken?: string) =>
    fetch(`${demoUrl}${path}`, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });

  it('serves /api/me, /api/reports by scope and refuses /api/admin/stats without role and second factor', async () => {
    const reporting = await reportingClient();
    const accessToken = await token(reporting.id, reporting.secret, 'demo:read');
    const me = await call('/api/me', accessToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: reporting.id, client_id: reporting.id, scope: 'demo:read' });
    expect((await call('/api/reports', accessToken)).status).toBe(200);
    const stats = await call('/api/admin/stats', accessToken);
    expect(stats.status).toBe(403);
    const noScope = await call('/api/reports', await token(ops.id, ops.secret, 'admin'));
    expect(noScope.status).toBe(403);
    expect(noScope.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    const none = await call('/api/me');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="demo"');
  });

  it('refuses a token as soon as it is revoked at auth-server', async () => {
    const reporting = await reportingClient();
    const accessToken = await token(reporting.id, reporting.secret, 'demo:read');
    expect((await call('/api/me', accessToken)).status).toBe(200);
    const revoke = await fetch(`${issuer}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${reporting.id}:${reporting.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: accessToken }).toString(),
    });
    expect(revoke.status).toBe(200);
    const after = await call('/api/me', accessToken);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});
