import { Logger } from '@nestjs/common';
import { AuditQueryService, AuditService } from '@authkit/audit';
import { databaseOptions } from '@authkit/database';
import { describeEachDatabase, findSecrets, TcpProxy } from '@authkit/testing';
import { DataSource } from 'typeorm';
import { AUTH_SERVER_SCHEMA } from '../src/app/database-schema';
import { startAuthServer, type RunningAuthServer } from './auth-server.fixture';

describeEachDatabase('auth-server operations', (database) => {
  let server: RunningAuthServer;
  beforeAll(async () => {
    server = await startAuthServer(database(), {}, (app) => {
      // A route that records an event, standing in for the audited endpoints.
      const audit = app.get(AuditService);
      app.getHttpAdapter().getInstance().get('/__test/audit', async () => ({
        id: await audit.recordDurably({ type: 'token.issued', outcome: 'success' }),
      }));
    });
  });
  afterAll(() => server?.close());

  it('answers liveness and readiness', async () => {
    const live = await fetch(`${server.url}/health`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
  });

  it('serves Prometheus metrics by route template', async () => {
    await fetch(`${server.url}/health`);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    expect(text).toMatch(/audit_events_buffered \d+/);
    expect(text).toMatch(/process_cpu_seconds_total/);
    // Every instance has run its migrations and readiness checks by now.
    expect(Number(/^db_statements_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });

  it('keeps a well-formed request id, replaces a malformed one, and logs it on the request line', async () => {
    const kept = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'trace-42' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-42');
    const replaced = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const line = server.logs.lines.map((l) => JSON.parse(l)).find((l) => l.request_id === 'trace-42');
    expect(line).toMatchObject({ service: 'auth-server', req: { method: 'GET', path: '/health' }, res: { status: 200 } });
  });

  it('answers unknown routes and malformed bodies with a 4xx code, never a stack trace', async () => {
    const missing = await fetch(`${server.url}/no/such/route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not_found' });
    const tooBig = await fetch(`${server.url}/health`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(70_000) }) });
    expect(tooBig.status).toBeGreaterThanOrEqual(400);
    expect(tooBig.status).toBeLessThan(500);
    expect(await tooBig.text()).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('keeps credentials out of every log line', async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const planted = ['sess-0123456789abcdef', 'code-value-that-is-secret'];
    await fetch(`${server.url}/health?code=${planted[1]}&token=${jwt}`, {
      headers: { authorization: `Bearer ${jwt}`, cookie: `auth_session=${planted[0]}`, 'x-request-id': 'secret-check' },
    });
    // Errors logged through Nest's Logger, stack included, pass the same scrubbing.
    new Logger('Probe').error(new Error(`upstream refused ${jwt}`));
    new Logger('Probe').warn(`client sent Authorization: Bearer ${planted[1]}`);
    expect(server.logs.lines.some((l) => l.includes('secret-check'))).toBe(true);
    expect(server.logs.lines.some((l) => l.includes('Probe'))).toBe(true);
    expect(findSecrets(server.logs.text(), [jwt, ...planted])).toEqual([]);
  });

  it('records the request context on audit events', async () => {
    // An event recorded inside a request picks up that request's id, address and agent.
    const response = await fetch(`${server.url}/__test/audit`, { headers: { 'x-request-id': 'ctx-1', 'user-agent': 'probe/1.0' } });
    const { id } = (await response.json()) as { id: string };
    const page = await server.app.get(AuditQueryService).find({ type: 'token.issued' });
    expect(page.events.find((e) => e.id === id)).toMatchObject({ requestId: 'ctx-1', userAgent: 'probe/1.0', ip: '127.0.0.1' });
  });
});

describeEachDatabase('auth-server readiness and shutdown', (database) => {
  it('reports not ready (503) while the database is unreachable, and ready again after', async () => {
    const target = new URL(database().url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const server = await startAuthServer({ ...database(), url: proxy.proxiedUrl(database().url) });
    try {
      proxy.cut();
      const down = await fetch(`${server.url}/health/ready`);
      expect(down.status).toBe(503);
      expect(await down.text()).not.toContain(target.port);
      expect((await fetch(`${server.url}/health`)).status).toBe(200); // still alive
      proxy.restore();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${server.url}/health/ready`)).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
    } finally {
      await server.close();
      await proxy.stop();
    }
  });

  it('reports not ready (503) while the shared state (Redis) is unreachable', async () => {
    const server = await startAuthServer(database(), { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ error: 'temporarily_unavailable' });
      expect((await fetch(`${server.url}/health`)).status).toBe(200); // alive, not ready
    } finally {
      await server.close();
    }
  });

  (process.env['REDIS_URL'] ? it : it.skip)('reports ready with the shared state up when REDIS_URL answers', async () => {
    const server = await startAuthServer(database(), { REDIS_URL: process.env['REDIS_URL'] });
    try {
      const ready = await fetch(`${server.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ details: { shared_state: { status: 'up' } } });
    } finally {
      await server.close();
    }
  });

  it('flushes buffered audit events on graceful shutdown before the database closes', async () => {
    const server = await startAuthServer(database(), { AUDIT_FLUSH_INTERVAL_MS: '10000' });
    const audit = server.app.get(AuditService);
    for (let i = 0; i < 500; i++) audit.record({ type: 'auth.login.failed', outcome: 'failure', details: { i } });
    expect(audit.getStats().buffered).toBe(500);
    await server.close();
    const check = new DataSource({ ...databaseOptions(database(), AUTH_SERVER_SCHEMA), migrationsRun: false });
    await check.initialize();
    try {
      const [row] = (await check.query(`SELECT count(*)::int AS n FROM audit_events WHERE type = 'auth.login.failed'`)) as { n: number }[];
      expect(row!.n).toBe(500);
    } finally {
      await check.destroy();
    }
  });
});
