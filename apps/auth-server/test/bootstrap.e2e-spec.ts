import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDataSourceToken } from '@nestjs/typeorm';
import { exportJWK, generateKeyPair } from 'jose';
import type { DataSource } from 'typeorm';
import { AuditQueryService, AuditService, type AuditEventType } from '@authkit/audit';
import { describeEachDatabase, findSecrets } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

// CONTRACT "Bootstrap file": the example clients, each secret at least 32 characters.
const SECRETS = {
  reporting: 'reporting-secret-0123456789abcdefghij',
  'demo-web': 'demo-web-secret-0123456789abcdefghijk',
  ops: 'ops-secret-0123456789abcdefghijklmnopq',
};
const ROTATED_SECRET = 'reporting-secret-rotated-0123456789abcdef';
const SHORT_SECRET = 'too-short-secret-123'; // 20 characters
const ALICE_PASSWORD = 'alice-password-0123';

function bootstrapFile(secrets: Record<keyof typeof SECRETS, string>) {
  return {
    clients: [
      { client_id: 'reporting', client_secret: secrets.reporting, grant_types: ['client_credentials'],
        scope: 'demo:read', token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: 'demo-web', client_secret: secrets['demo-web'], grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: ['http://localhost:4200/auth/callback'],
        scope: 'openid profile email offline_access demo:read', token_endpoint_auth_method: 'client_secret_post' },
      { client_id: 'native', grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: ['http://127.0.0.1/callback'], scope: 'openid offline_access',
        token_endpoint_auth_method: 'none' },
      { client_id: 'ops', client_secret: secrets.ops, grant_types: ['client_credentials'], scope: 'admin',
        token_endpoint_auth_method: 'client_secret_basic' },
    ],
    users: [{ email: 'alice@example.com', password: ALICE_PASSWORD, roles: ['admin'] }],
  };
}

const CLIENT_EVENTS: AuditEventType[] = ['client.created', 'client.updated', 'client.secret.rotated'];

describeEachDatabase('AUTH_BOOTSTRAP_FILE', (database) => {
  let dir: string;
  let file: string;
  let server: RunningAuthServer | undefined;
  let logs: RunningAuthServer['logs']; // one capture for every server of this file

  /** (Re)starts the server on this suite's database with `content` as the bootstrap file. */
  const start = async (content: unknown) => {
    await server?.close();
    server = undefined;
    await writeFile(file, JSON.stringify(content), { mode: 0o600 });
    server = await startAuthServer(database(), { AUTH_BOOTSTRAP_FILE: file });
    logs = server.logs;
    return server;
  };
  /** RFC 6749 s4.4 with client_secret_basic; the status says whether the secret is accepted. */
  const clientCredentials = (clientId: string, secret: string, scope: string) =>
    fetch(`${server!.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
    });
  /** demo-web has no client_credentials grant: introspection checks its client_secret_post secret. */
  const introspectAsDemoWeb = (secret: string) =>
    fetch(`${server!.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'demo-web', client_secret: secret, token: 'unknown-token' }),
    });
  /** How many events of each client lifecycle type the log holds, flushed first. */
  const clientEventCounts = async () => {
    await server!.app.get(AuditService).flush();
    const counts: Record<string, number> = {};
    for (const type of CLIENT_EVENTS) {
      counts[type] = (await server!.app.get(AuditQueryService).find({ type, limit: 500 })).events.length;
    }
    return counts;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authkit-bootstrap-'));
    file = join(dir, 'bootstrap.json');
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the clients of the file, storing secrets only hashed', async () => {
    await start(bootstrapFile(SECRETS));
    const adminToken = await clientCredentials('ops', SECRETS.ops, 'admin');
    expect(adminToken.status).toBe(200);
    const { access_token: token } = (await adminToken.json()) as { access_token: string };
    const listed = (await (await fetch(`${server!.url}/admin/clients`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      client_id: string;
      token_endpoint_auth_method: string;
      scope: string;
    }[];
    expect(listed.map((c) => [c.client_id, c.token_endpoint_auth_method, c.scope]).sort()).toEqual([
      ['demo-web', 'client_secret_post', 'openid profile email offline_access demo:read'],
      ['native', 'none', 'openid offline_access'],
      ['ops', 'client_secret_basic', 'admin'],
      ['reporting', 'client_secret_basic', 'demo:read'],
    ]);
    expect((await clientCredentials('reporting', SECRETS.reporting, 'demo:read')).status).toBe(200);
    expect((await introspectAsDemoWeb(SECRETS['demo-web'])).status).toBe(200);
    expect((await introspectAsDemoWeb(`${SECRETS['demo-web']}x`)).status).toBe(401);

    const stored = await server!.app.get<DataSource>(getDataSourceToken()).query('SELECT * FROM oauth_client_secrets');
    expect(stored).toHaveLength(3);
    expect(findSecrets(JSON.stringify(stored), Object.values(SECRETS))).toEqual([]);
    expect(await clientEventCounts()).toEqual({ 'client.created': 4, 'client.updated': 0, 'client.secret.rotated': 0 });
  });

  it('changes nothing when the same file is applied again', async () => {
    const before = await clientEventCounts();
    await start(bootstrapFile(SECRETS));
    expect(await clientEventCounts()).toEqual(before);
    expect((await clientCredentials('reporting', SECRETS.reporting, 'demo:read')).status).toBe(200);
    expect((await clientCredentials('ops', SECRETS.ops, 'admin')).status).toBe(200);
    expect((await introspectAsDemoWeb(SECRETS['demo-web'])).status).toBe(200);
  });

  it('rotates a secret that changed in the file', async () => {
    const before = await clientEventCounts();
    const changed = { ...SECRETS, reporting: ROTATED_SECRET };
    await start(bootstrapFile(changed));
    const refused = await clientCredentials('reporting', SECRETS.reporting, 'demo:read');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    expect((await clientCredentials('reporting', changed.reporting, 'demo:read')).status).toBe(200);
    expect((await clientCredentials('ops', SECRETS.ops, 'admin')).status).toBe(200); // the others are untouched
    expect(await clientEventCounts()).toEqual({ ...before, 'client.secret.rotated': before['client.secret.rotated']! + 1 });
    const [rotation] = (await server!.app.get(AuditQueryService).find({ type: 'client.secret.rotated', limit: 1 })).events;
    expect(rotation).toMatchObject({ subject: { type: 'client', id: 'reporting' } });
  });

  it('applies a private_key_jwt client idempotently and clears what the file no longer says', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'signer-1', alg: 'ES256', use: 'sig' };
    const signer = {
      client_id: 'signer', client_name: 'Signer', grant_types: ['client_credentials'], scope: 'demo:read',
      token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] }, access_token_ttl: 300,
    };
    const withSigner = (client: Record<string, unknown>) => {
      const content = bootstrapFile({ ...SECRETS, reporting: ROTATED_SECRET });
      return { ...content, clients: [...content.clients, client] };
    };
    await start(withSigner(signer));
    const created = await clientEventCounts();
    // PostgreSQL's jsonb does not keep the member order of the file: still no change.
    await start(withSigner(signer));
    expect(await clientEventCounts()).toEqual(created);

    const trimmed: Record<string, unknown> = { ...signer };
    delete trimmed['client_name'];
    delete trimmed['access_token_ttl'];
    await start(withSigner(trimmed));
    const view = await server!.app.get(ClientService).get('signer');
    expect(view).not.toHaveProperty('client_name');
    expect(view).not.toHaveProperty('access_token_ttl');
    const trimmedCounts = await clientEventCounts();
    expect(trimmedCounts).toEqual({ ...created, 'client.updated': created['client.updated']! + 1 });
    await start(withSigner(trimmed));
    expect(await clientEventCounts()).toEqual(trimmedCounts);
  });

  it('refuses to start on a secret shorter than 32 characters, naming the client but not the secret', async () => {
    await server?.close();
    server = undefined;
    await writeFile(file, JSON.stringify(bootstrapFile({ ...SECRETS, 'demo-web': SHORT_SECRET })));
    const failure = await startAuthServer(database(), { AUTH_BOOTSTRAP_FILE: file }).then(
      async (started) => {
        await started.close();
        throw new Error('the server started');
      },
      (error: unknown) => error as Error,
    );
    expect(failure.message).toContain('clients[1]');
    expect(failure.message).toContain('32');
    expect(failure.message).not.toContain(SHORT_SECRET);
  });

  it('applies the documented example file, docker/bootstrap.example.json', async () => {
    const example = JSON.parse(await readFile(join(__dirname, '../../../docker/bootstrap.example.json'), 'utf8')) as ReturnType<typeof bootstrapFile>;
    await start(example);
    const clients = server!.app.get(ClientService);
    expect((await clients.get('demo-web')).post_logout_redirect_uris).toEqual(['http://localhost:4200/']);
    // Clients of earlier tests stay: a bootstrap file creates and updates, it never deletes.
    expect((await clients.list()).map((c) => c.client_id)).toEqual(expect.arrayContaining(example.clients.map((c) => c.client_id)));
    expect(findSecrets(logs.text(), [...example.clients.map((c) => c.client_secret ?? ''), ...example.users.map((u) => u.password)].filter(Boolean))).toEqual([]);
  });

  it('keeps every secret and password of the file out of the logs', () => {
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(findSecrets(logs.text(), [...Object.values(SECRETS), ROTATED_SECRET, SHORT_SECRET, ALICE_PASSWORD])).toEqual([]);
  });
});
