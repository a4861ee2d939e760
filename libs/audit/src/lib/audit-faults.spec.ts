import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { databaseOptions } from '@authkit/database';
import { AuditModule, AuditService, AuditUnavailableError, AuditVerifierService } from '../index';
import { describeEachDatabase, openTestDataSource, TcpProxy } from '@authkit/testing';
import { auditSchema, auditWriter } from '../../test/audit-fixture';

describeEachDatabase('audit log under faults', (database) => {
  it('loses no event when the database connection is cut mid-stream and later restored', async () => {
    const target = new URL(database().url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const dataSource = await openTestDataSource({ ...database(), url: proxy.proxiedUrl(database().url) }, auditSchema);
    const writer = auditWriter(dataSource);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3_000; i++) {
        ids.push(writer.record({ type: 'token.issued', outcome: 'success', details: { i } }));
        if (i === 1_000) proxy.cut(); // drops every open connection and refuses new ones
        if (i === 2_000) setTimeout(() => proxy.restore(), 1_500);
        if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(writer.getStats().buffered).toBeGreaterThan(0); // held back while the link was down
      await writer.flush(30_000);
      expect(writer.getStats().failedAttempts).toBeGreaterThan(0); // the cut was felt
      const stored = (await dataSource.query('SELECT id FROM audit_events WHERE id = ANY($1::uuid[])', [ids])) as unknown[];
      expect(stored).toHaveLength(3_000);
      await expect(new AuditVerifierService(dataSource).verify()).resolves.toMatchObject({ ok: true, events: 3_000 });
    } finally {
      await dataSource.destroy().catch(() => undefined);
      await proxy.stop();
    }
  });

  it('refuses new events with 503 when the buffer is full, instead of dropping them', async () => {
    const target = new URL(database().url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const dataSource = await openTestDataSource({ ...database(), url: proxy.proxiedUrl(database().url) }, auditSchema);
    const writer = auditWriter(dataSource, { bufferLimit: 100 });
    try {
      proxy.cut();
      for (let i = 0; i < 100; i++) writer.record({ type: 'auth.login.failed', outcome: 'failure' });
      let refused: unknown;
      try {
        writer.record({ type: 'auth.login.failed', outcome: 'failure' });
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(AuditUnavailableError);
      expect((refused as AuditUnavailableError).getStatus()).toBe(503);
      expect(writer.getStats()).toMatchObject({ buffered: 100, rejected: 1 });

      proxy.restore();
      await writer.flush(30_000);
      const [count] = (await dataSource.query('SELECT count(*)::int AS n FROM audit_events')) as { n: number }[];
      expect(count!.n).toBeGreaterThanOrEqual(100);
      writer.record({ type: 'auth.login.failed', outcome: 'failure' }); // accepted again once drained
      await writer.flush();
    } finally {
      await dataSource.destroy().catch(() => undefined);
      await proxy.stop();
    }
  });

  it('answers an audited HTTP action with 503 and a stable code when the buffer is full', async () => {
    @Controller()
    class AuditedController {
      constructor(private readonly audit: AuditService) {}
      @Get('action')
      act() {
        this.audit.record({ type: 'token.issued', outcome: 'success' });
        return { ok: true };
      }
    }
    const target = new URL(database().url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    @Module({
      imports: [
        TypeOrmModule.forRoot(databaseOptions({ url: proxy.proxiedUrl(database().url), embedded: database().embedded }, auditSchema)),
        AuditModule.forRoot({ bufferLimit: 100, flushIntervalMs: 5, shutdownFlushTimeoutMs: 100 }),
      ],
      controllers: [AuditedController],
    })
    class FixtureModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FixtureModule] }).compile();
    const app: INestApplication = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/action`.replace('[::1]', '127.0.0.1');
    try {
      proxy.cut();
      const statuses: number[] = [];
      for (let i = 0; i < 101; i++) statuses.push((await fetch(url)).status);
      expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
      const refused = await fetch(url);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: 'audit_unavailable' });
    } finally {
      proxy.restore();
      await app.close();
      await proxy.stop();
    }
  });
});

describe('AuditService', () => {
  it('refuses event types outside the catalogue', () => {
    const writer = auditWriter({} as DataSource);
    expect(() => writer.record({ type: 'made.up' as never, outcome: 'success' })).toThrow(TypeError);
    expect(() => writer.record({ type: 'token.issued', outcome: 'maybe' as never })).toThrow(TypeError);
  });
});
