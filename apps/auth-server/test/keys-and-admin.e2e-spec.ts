import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { AuditService, type AuditEvent } from '@authkit/audit';
import { describeEachDatabase } from '@authkit/testing';
import { ClientService } from '../src/app/clients/client.service';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

const ROOT = join(__dirname, '../../..');
const RETIRED_KEY_PUBLISHED_S = 86_400 + 300; // longest token lifetime + publication margin

interface KeyView {
  kid: string;
  status: 'active' | 'next' | 'retired';
  publish_until: string | null;
}

interface AuthctlRun {
  code: number;
  stdout: string;
  stderr: string;
}

describeEachDatabase('signing keys, admin API and authctl', (database) => {
  let server: RunningAuthServer;
  const secrets: Record<string, string> = {};

  /** RFC 6749 s4.4 with client_secret_basic, as a raw request so every status is visible. */
  const tokenRequest = (clientId: string, secret: string, scope?: string) =>
    fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
    });
  const accessToken = async (clientId: string, scope?: string) => {
    const response = await tokenRequest(clientId, secrets[clientId]!, scope);
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const admin = async (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) => {
    const token = init.token === undefined ? await accessToken('ops-test', 'admin') : init.token;
    const response = await fetch(`${server.url}/admin${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };
  const auditEvents = async (query: string): Promise<AuditEvent[]> => {
    await server.app.get(AuditService).flush();
    const { status, body } = await admin(`/audit?${query}`);
    expect(status).toBe(200);
    return body!['events'] as AuditEvent[];
  };
  const authctl = (...args: string[]): Promise<AuthctlRun> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['scripts/authctl.mjs', ...args],
        {
          cwd: ROOT,
          timeout: 20_000,
          env: { PATH: process.env['PATH'], AUTHCTL_URL: server.url, AUTHCTL_CLIENT_ID: 'ops-test', AUTHCTL_CLIENT_SECRET: secrets['ops-test'] },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
      );
    });
  /** The single JSON document that `--json` promises on stdout. */
  const jsonOutput = (run: AuthctlRun): unknown => {
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    return JSON.parse(run.stdout);
  };

  beforeAll(async () => {
    server = await startAuthServer(database());
    const clients = server.app.get(ClientService);
    for (const [clientId, scope] of [['ops-test', 'admin'], ['worker', 'demo:read']] as const) {
      const view = await clients.create({ client_id: clientId, grant_types: ['client_credentials'], scope }, { type: 'system', id: 'test' });
      secrets[clientId] = view.client_secret!;
    }
  });
  afterAll(() => server?.close());

  it('keeps every token verifiable when the signing key rotates in the middle of a stream of requests', async () => {
    const BATCHES = 6;
    const BATCH_SIZE = 10;
    const tokens: string[] = [];
    let rotation: Awaited<ReturnType<typeof admin>> | undefined;
    const adminToken = await accessToken('ops-test', 'admin');
    for (let batch = 0; batch < BATCHES; batch++) {
      const requests = Array.from({ length: BATCH_SIZE }, () => tokenRequest('worker', secrets['worker']!, 'demo:read'));
      // Midway, the rotation runs concurrently with a batch of token requests.
      const rotating = batch === BATCHES / 2 ? admin('/keys/rotate', { method: 'POST', token: adminToken }) : undefined;
      const [responses, rotated] = await Promise.all([Promise.all(requests), rotating]);
      if (rotated) rotation = rotated;
      for (const response of responses) {
        expect(response.status).toBe(200);
        tokens.push(((await response.json()) as { access_token: string }).access_token);
      }
    }
    expect(rotation).toMatchObject({ status: 200, body: { kid: expect.any(String), status: 'active' } });

    // The resource server fetches the key set only now, after the stream.
    const keySet = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const outcomes = await Promise.allSettled(tokens.map((token) => jwtVerify(token, keySet, { issuer: server.url, typ: 'at+jwt' })));
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(tokens).toHaveLength(BATCHES * BATCH_SIZE);

    const { body } = await admin('/keys');
    const listed = body as unknown as KeyView[];
    const byStatus = (status: KeyView['status']) => listed.filter((k) => k.status === status);
    expect([byStatus('active').length, byStatus('next').length, byStatus('retired').length]).toEqual([1, 1, 1]);
    const [active, retired] = [byStatus('active')[0]!, byStatus('retired')[0]!];
    expect(active.kid).toBe(rotation!.body!['kid']);
    const expectedUntil = Date.now() + RETIRED_KEY_PUBLISHED_S * 1000;
    expect(Math.abs(new Date(retired.publish_until!).getTime() - expectedUntil)).toBeLessThan(60_000);
    // Both keys signed part of the stream; the retired key's tokens verified above.
    const kids = new Set(tokens.map((t) => decodeProtectedHeader(t).kid));
    expect([...kids].sort()).toEqual([active.kid, retired.kid].sort());
  });

  it('answers admin requests without a valid admin token per RFC 6750 s3', async () => {
    const missing = await admin('/clients', { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+"/);
    expect(missing.body).toMatchObject({ error: 'invalid_token' });

    const garbage = await admin('/clients', { token: 'not.a.token' });
    expect(garbage.status).toBe(401);
    expect(garbage.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);

    const withoutScope = await admin('/clients', { token: await accessToken('worker') });
    expect(withoutScope.status).toBe(403);
    expect(withoutScope.body).toMatchObject({ error: 'insufficient_scope' });
    expect(withoutScope.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);

    const revoked = await accessToken('ops-test', 'admin');
    expect((await admin('/clients', { token: revoked })).status).toBe(200);
    const revocation = await fetch(`${server.url}/oauth2/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`ops-test:${secrets['ops-test']}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: revoked }),
    });
    expect(revocation.status).toBe(200);
    expect(await admin('/clients', { token: revoked })).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
  });

  it('creates, shows, updates, rotates and deletes a client, showing its secret only once', async () => {
    const created = await admin('/clients', { method: 'POST', body: { client_id: 'billing', grant_types: ['client_credentials'], scope: 'demo:read' } });
    expect(created.status).toBe(201);
    const first = created.body!['client_secret'] as string;
    expect(first).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect((await tokenRequest('billing', first, 'demo:read')).status).toBe(200);

    const [hash] = (await server.app.get<DataSource>(getDataSourceToken()).query(
      `SELECT secret_hash FROM oauth_client_secrets WHERE client_id = 'billing'`,
    )) as { secret_hash: string }[];
    for (const view of [await admin('/clients/billing'), await admin('/clients')]) {
      expect(view.status).toBe(200);
      expect(view.text).not.toContain(first);
      expect(view.text).not.toContain(hash!.secret_hash);
      expect(view.text).not.toMatch(/"client_secret"|hash/i);
    }

    const invalid = await admin('/clients', { method: 'POST', body: { client_id: 'bad', grant_types: ['password'] } });
    expect(invalid).toMatchObject({ status: 400, body: { error: 'invalid_client_metadata' } });

    const updated = await admin('/clients/billing', { method: 'PATCH', body: { scope: 'demo:read demo:write' } });
    expect(updated).toMatchObject({ status: 200, body: { scope: 'demo:read demo:write' } });
    expect((await tokenRequest('billing', first, 'demo:write')).status).toBe(200);
    // A member set to null is cleared: the client falls back to the server's token lifetime.
    const lifetime = async () => {
      const { access_token: token } = (await (await tokenRequest('billing', first)).json()) as { access_token: string };
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`)));
      return payload.exp! - payload.iat!;
    };
    expect(await admin('/clients/billing', { method: 'PATCH', body: { access_token_ttl: 120 } })).toMatchObject({ status: 200, body: { access_token_ttl: 120 } });
    expect(await lifetime()).toBe(120);
    const cleared = await admin('/clients/billing', { method: 'PATCH', body: { access_token_ttl: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty('access_token_ttl');
    expect(await lifetime()).toBe(600);

    const graceful = await admin('/clients/billing/rotate-secret', { method: 'POST', body: { grace_seconds: 60 } });
    expect(graceful).toMatchObject({ status: 200, body: { secrets_valid: 2 } });
    const second = graceful.body!['client_secret'] as string;
    expect(second).not.toBe(first);
    expect((await tokenRequest('billing', first)).status).toBe(200); // still inside the grace period
    expect((await tokenRequest('billing', second)).status).toBe(200);

    const immediate = await admin('/clients/billing/rotate-secret', { method: 'POST', body: { grace_seconds: 0 } });
    expect(immediate).toMatchObject({ status: 200, body: { secrets_valid: 1 } });
    const third = immediate.body!['client_secret'] as string;
    for (const old of [first, second]) {
      const refused = await tokenRequest('billing', old);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    }
    expect((await tokenRequest('billing', third)).status).toBe(200);

    expect((await admin('/clients/billing', { method: 'DELETE' })).status).toBe(204);
    const afterDelete = await tokenRequest('billing', third);
    expect(afterDelete.status).toBe(401);
    expect(await afterDelete.json()).toMatchObject({ error: 'invalid_client' });
    expect(await admin('/clients/billing')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await admin('/clients/billing/rotate-secret', { method: 'POST', body: {} })).toMatchObject({ status: 404 });

    const rotations = (await auditEvents('type=client.secret.rotated')).filter((e) => e.subject?.id === 'billing');
    expect(rotations.map((e) => e.details['grace_seconds']).sort()).toEqual([0, 60]);
    for (const event of rotations) expect(event).toMatchObject({ outcome: 'success', actor: { type: 'client', id: 'ops-test' } });
    for (const type of ['client.created', 'client.updated', 'client.deleted']) {
      expect((await auditEvents(`type=${type}`)).some((e) => e.subject?.id === 'billing')).toBe(true);
    }
    const verified = await admin('/audit/verify', { method: 'POST' });
    expect(verified).toMatchObject({ status: 200, body: { ok: true, events: expect.any(Number) } });
    expect(verified.body!['events']).toBeGreaterThan(0);
  });

  it('is driven by authctl, whose audit verify detects a tampered event', async () => {
    const list = await authctl('client', 'list', '--json');
    expect(list.code).toBe(0);
    const clients = jsonOutput(list) as Record<string, unknown>[];
    expect(clients.map((c) => c['client_id'])).toEqual(expect.arrayContaining(['ops-test', 'worker']));
    for (const c of clients) expect(c).not.toHaveProperty('client_secret');

    const rotate = await authctl('keys', 'rotate', '--json');
    expect(rotate.code).toBe(0);
    const promoted = jsonOutput(rotate) as KeyView;
    expect(promoted).toMatchObject({ kid: expect.any(String), status: 'active' });
    const keys = (await admin('/keys')).body as unknown as KeyView[];
    expect(keys.find((k) => k.status === 'active')?.kid).toBe(promoted.kid);

    await server.app.get(AuditService).flush();
    const tail = await authctl('audit', 'tail', '--limit', '5', '--type', 'token.issued', '--json');
    expect(tail.code).toBe(0);
    const tailed = jsonOutput(tail) as AuditEvent[];
    expect(tailed.length).toBeGreaterThanOrEqual(1);
    expect(tailed.length).toBeLessThanOrEqual(5);
    for (const event of tailed) expect(event.type).toBe('token.issued');

    const verify = await authctl('audit', 'verify', '--json');
    expect(verify.code).toBe(0);
    expect(jsonOutput(verify)).toEqual({ ok: true, events: expect.any(Number) });

    // A failure event whose outcome an intruder rewrites, bypassing the append-only trigger.
    expect((await tokenRequest('worker', `${secrets['worker']}-wrong`)).status).toBe(401);
    const [failed] = await auditEvents('type=client.authentication.failed&limit=1');
    expect(failed).toMatchObject({ outcome: 'failure', actor: { id: 'worker' } });
    const intruder = new Client({ connectionString: database().url });
    await intruder.connect();
    try {
      // One simple-protocol query: the embedded server runs it as a unit.
      await intruder.query(
        `BEGIN; SET LOCAL session_replication_role = replica;
         UPDATE audit_events SET outcome = 'success' WHERE id = ${intruder.escapeLiteral(failed!.id)}; COMMIT`,
      );
      const [row] = (await intruder.query('SELECT outcome FROM audit_events WHERE id = $1', [failed!.id])).rows as { outcome: string }[];
      expect(row!.outcome).toBe('success');
    } finally {
      await intruder.end();
    }

    const tampered = await authctl('audit', 'verify', '--json');
    expect(tampered.code).toBe(1);
    expect(jsonOutput(tampered)).toMatchObject({ ok: false, first_bad_id: failed!.id, events: expect.any(Number) });
  });
});
